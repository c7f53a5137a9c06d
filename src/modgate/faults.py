"""Fault injection for the crash and race tests: one place for every test hook of the shells.

- ``MODGATE_CRASH_AT=<boundary>``: :func:`crash_point` SIGKILLs the process there (transaction
  steps such as ``apply:before-commit``; see ``modgate.tx.engine.BOUNDARIES``).
- ``MODGATE_EXT_FAIL_AT=<point>``: :func:`checkpoint` raises an OSError there (installer steps).
- ``MODGATE_EXT_PAUSE_AT=<point>``: :func:`checkpoint` writes the point's name to
  ``MODGATE_EXT_PAUSE_FILE`` and sleeps (at most 60 s) so a test can kill the process there.

In production none of these variables is set and each hook costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

PAUSE_LIMIT_S = 60.0


def crash_point(name: str) -> None:
    """Die here, hard, when MODGATE_CRASH_AT names this boundary (crash-injection tests)."""
    if os.environ.get("MODGATE_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def checkpoint(name: str) -> None:
    """Fail or pause here when MODGATE_EXT_FAIL_AT / MODGATE_EXT_PAUSE_AT names this point."""
    if os.environ.get("MODGATE_EXT_FAIL_AT") == name:
        raise OSError(f"injected failure at {name}")
    if os.environ.get("MODGATE_EXT_PAUSE_AT") == name:
        marker = os.environ.get("MODGATE_EXT_PAUSE_FILE")
        if marker:
            Path(marker).write_text(name)
        deadline = time.monotonic() + PAUSE_LIMIT_S
        while time.monotonic() < deadline:  # bounded: a forgotten hook cannot hang forever
            time.sleep(0.05)
