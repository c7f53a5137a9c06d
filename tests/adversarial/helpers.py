"""Shared helpers of the adversarial suite: start several processes at the same instant."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

# Each worker spins (bounded) until the go-file appears, so all of them hit the home together.
BARRIER = """
import os, sys, time
_go = sys.argv[1]
for _ in range(4000):
    if os.path.exists(_go):
        break
    time.sleep(0.001)
sys.argv = sys.argv[1:]
"""


def run_together(script: str, args: list[str], count: int, go: Path, *, timeout: float = 60,
                 env: dict[str, str] | None = None) -> list[tuple[int, str, str]]:
    """Run ``count`` copies of ``script`` (argv[1:] = args) released together; (rc, out, err) each."""
    if go.exists():
        go.unlink()
    procs = [subprocess.Popen([sys.executable, "-c", BARRIER + script, str(go), *args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, **(env or {})}) for _ in range(count)]
    time.sleep(0.3)  # let the interpreters start and reach the barrier
    go.touch()
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=timeout)
        out.append((proc.returncode, stdout, stderr))
    return out


def run_cli(home: Path, *args: str, timeout: float = 60, input_text: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MODGATE_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "modgate", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, input=input_text, check=False)
