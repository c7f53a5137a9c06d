"""Writing the artifacts of an intent as files (``modgate light artifacts --dir``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from modgate.errors import ModgateError

ORDER = ("intent.normalized.v1", "manifest.draft.v1", "policy.draft.v1", "dryrun.report.v1", "preview.diff.v1",
         "apply.request.v1")


def write_artifacts(found: dict[str, Any], directory: Path) -> list[str]:
    """``<name>.json`` per artifact present (atomic replace); returns the file names written."""
    if directory.exists() and not directory.is_dir():
        raise ModgateError.make("light-artifacts-dir-invalid", f"{directory} is not a folder", "--dir")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name in ORDER:
            if name not in found:
                continue
            target = directory / f"{name}.json"
            tmp = directory / f".{name}.json.tmp"
            tmp.write_bytes(orjson.dumps(found[name], option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
            os.replace(tmp, target)
            written.append(target.name)
        return written
    except OSError as exc:
        raise ModgateError.make("light-artifacts-dir-invalid", f"cannot write into {directory}: {exc.strerror}",
                                "--dir") from exc
