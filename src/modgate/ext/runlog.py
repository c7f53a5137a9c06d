"""Each mod's ``runtime.log``: redacted, size-capped, rotated, kept under ``MODGATE_HOME``.

Redacted before anything is written: ``sk-…`` keys, ``api_key=…`` / ``api-key: …``,
``Authorization: Bearer …``, and the value of every environment variable of this process whose
name contains KEY, TOKEN or SECRET. The log lives in ``$MODGATE_HOME/ext-runtime/<install>/``,
outside the handler-writable state folder, so a handler cannot forge or erase it.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from pathlib import Path

MAX_LOG_BYTES = 256 * 1024
MAX_LINE = 4000
REDACTED = "[REDACTED]"
_PATTERNS = (
    (re.compile(r"sk-[A-Za-z0-9_\-]{6,}"), "sk-" + REDACTED),
    (re.compile(r"(?i)(api[_-]?key\s*[=:]\s*)[^\s&,;\"']+"), r"\1" + REDACTED),
    (re.compile(r"(?i)(authorization:\s*bearer\s+)\S+"), r"\1" + REDACTED),
)
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET", re.IGNORECASE)


def redact(text: str, environ: dict[str, str] | None = None) -> str:
    return redact_with(text, secret_values(os.environ if environ is None else environ))


def secret_values(env: Mapping[str, str]) -> tuple[str, ...]:
    """The values to hide: those of every variable whose name contains KEY, TOKEN or SECRET."""
    return tuple(value for name, value in env.items() if _SECRET_NAME.search(name) and len(value) >= 4)


def redact_with(text: str, secrets: tuple[str, ...]) -> str:
    for value in secrets:
        text = text.replace(value, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def log_dir(home: Path, install_id: str) -> Path:
    return home / "ext-runtime" / re.sub(r"[^A-Za-z0-9._-]", "_", install_id)


def log_path(home: Path, install_id: str) -> Path:
    return log_dir(home, install_id) / "runtime.log"


def append(home: Path, install_id: str, line: str, now: float | None = None) -> None:
    """Append one redacted line; past the cap the log moves to ``runtime.log.1`` (one generation)."""
    append_many(home, install_id, [(time.time() if now is None else now, line)])


def append_many(home: Path, install_id: str, entries: list[tuple[float, str]]) -> None:
    """Append ``(time, line)`` entries with one open (a fan-out's lines), rotating where the cap is passed."""
    if not entries:
        return
    path = log_path(home, install_id)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    secrets = secret_values(os.environ)  # once per batch, not per line
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = 0
    chunk: list[str] = []
    for now, line in entries:
        if size > MAX_LOG_BYTES:
            _write(path, chunk)
            chunk, size = [], 0
            os.replace(path, path.with_name("runtime.log.1"))
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        flat = " ".join(line.split("\n"))
        text = f"{stamp} {redact_with(flat, secrets)[:MAX_LINE]}\n"
        chunk.append(text)
        size += len(text.encode("utf-8"))
    _write(path, chunk)


def _write(path: Path, chunk: list[str]) -> None:
    if chunk:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("".join(chunk))


def read(home: Path, install_id: str, limit: int = 1000) -> list[str]:
    """The last ``limit`` lines (older generation first), bounded by the size cap."""
    lines: list[str] = []
    for name in ("runtime.log.1", "runtime.log"):
        path = log_dir(home, install_id) / name
        if path.is_file():
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines += handle.read(MAX_LOG_BYTES * 2).splitlines()
    return [redact(x) for x in lines[-limit:]]
