"""modgate benchmarks: ``python bench/run.py [--quick] [--json] [--only SECTION ...]``.

Every figure is measured in this run, next to the reference it is compared with, on the same
inputs; a ratio is always ours divided by the reference. With ``--json`` exactly one JSON
object is printed on stdout (nested: ``bus.dispatch_ns`` is ``{"bus": {"dispatch_ns": ...}}``).
Sections live in ``bench/bench_*.py`` and expose ``run(quick: bool) -> dict``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SECTIONS = ["bus", "cli", "import", "tx", "ext", "graph", "adapt", "hooks", "store", "light", "signoff", "studio"]


def _load() -> list[float]:
    """The 1, 5 and 15 minute load averages: a reader can tell a quiet run from a busy one."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # not on every platform
        return []


def merge(into: dict[str, Any], part: dict[str, Any]) -> None:
    for key, value in part.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="Fewer repeats; finishes within 120 s on 2 cores.")
    parser.add_argument("--json", action="store_true", help="Print one JSON object and nothing else.")
    parser.add_argument("--only", nargs="*", choices=SECTIONS, help="Run only these sections.")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    out: dict[str, Any] = {"machine": {"python": platform.python_version(), "platform": platform.platform(),
                                       "cpus": os.cpu_count(), "load": {"start": _load()}}}
    started = time.perf_counter()
    for name in args.only or SECTIONS:
        module_name = f"bench_{name}"
        if not (HERE / f"{module_name}.py").exists():
            continue
        t0 = time.perf_counter()
        merge(out, importlib.import_module(module_name).run(args.quick))
        if not args.json:
            print(f"[{name}] {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    out["elapsed_s"] = round(time.perf_counter() - started, 2)
    out["machine"]["load"]["end"] = _load()
    print(json.dumps(out, indent=None if args.json else 2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
