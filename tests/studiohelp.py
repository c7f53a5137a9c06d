"""Helpers for the studio tests: a signed-in TestClient, form posts, a transaction held in APPLYING."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from modgate.modules.starter import new_module_package
from modgate.strictjson import dumps_pretty

BASE = "http://127.0.0.1:8765"
ORIGIN = {"origin": BASE}


def package_text(module_id: str = "quiz-tools", **changes: Any) -> str:
    package = new_module_package(module_id)
    package.update(changes)
    return dumps_pretty(package)


def broken_package_text() -> str:
    """A package with a lint error: a binding to a command the host does not have."""
    package = new_module_package("quiz-tools")
    package["commandBindings"][0]["commandId"] = "noSuchCommand"
    package["pluginManifest"]["ui"][0]["action"]["commandId"] = "noSuchCommand"
    return dumps_pretty(package)


def signed_in(app: Any) -> Any:
    from starlette.testclient import TestClient

    client = TestClient(app, base_url=BASE)
    client.get(f"/?token={app.shell.keys.token}", follow_redirects=False)
    return client


def post(client: Any, path: str, data: dict[str, str] | None = None, **kw: Any) -> Any:
    body = {"csrf": client.app.shell.keys.csrf, **(data or {})}
    return client.post(path, data=body, headers=ORIGIN, **kw)


CHILD = """
import sys
from modgate.app import open_runtime
rt = open_runtime(sys.argv[1])
tx_id = sys.argv[2]
if sys.argv[3] == "apply":
    rt.tx.apply(tx_id, approval_token=rt.tx.latest_token(tx_id))
else:
    rt.tx.rollback(tx_id, reason="crash test")
"""


def hold_applying(home: Path, tx_id: str, boundary: str = "apply:after-applying") -> None:
    """Apply (or roll back) ``tx_id`` in another process killed at ``boundary`` (the engine's crash hook):
    the transaction stays APPLYING (or ROLLBACK_PENDING) until someone recovers it."""
    env = {**os.environ, "MODGATE_HOME": str(home), "MODGATE_CRASH_AT": boundary}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(home), tx_id, boundary.split(":")[0]], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == -9, proc.stderr
