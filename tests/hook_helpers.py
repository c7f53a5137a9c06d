"""Build, install and drive extension mods whose handlers are the scripts in tests/fixtures/hooks."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from modgate.app import Runtime, open_runtime
from modgate.ext.events import make_runner
from modgate.ext.hooks import HookRunner
from modgate.ext.installer import Installer

HOOKS = Path(__file__).parent / "fixtures" / "hooks"
PY = "python3"  # the runner maps it to modgate's own interpreter (sys.executable)


def hook(ident: str, argv: list[str], event: str = "turn.completed", permissions: tuple[str, ...] = (),
         **extra: Any) -> dict[str, Any]:
    return {"id": ident, "event": event, "handler": {"command": argv},
            "permissions": {p: True for p in permissions}, **extra}


def probe(ident: str, mode: str, **kw: Any) -> dict[str, Any]:
    return hook(ident, [PY, "scripts/probe.py", mode], **kw)


def write_mod(root: Path, mod_id: str, hooks: list[dict[str, Any]], *, automations: list[dict[str, Any]] = (),
              mods_bar: dict[str, Any] | None = None, host_events: bool = False) -> Path:
    perms = sorted({k for item in [*hooks, *automations] for k, v in item.get("permissions", {}).items() if v})
    ui: dict[str, Any] = {"schemaVersion": 1, "manifest": {"id": mod_id, "name": mod_id, "version": "1.0.0"},
                          "theme": {}, "hooks": hooks, "automations": list(automations)}
    if mods_bar is not None:
        ui["uiSlots"] = {"modsBar": mods_bar}
    root.mkdir(parents=True, exist_ok=True)
    (root / "codex.mod.json").write_text(json.dumps({
        "schemaVersion": 1, "id": mod_id, "name": mod_id, "version": "1.0.0",
        "entrypoints": {"uiMod": "ui.mod.json"}, "permissions": perms, "compatibility": {"platforms": ["*"]}}))
    (root / "ui.mod.json").write_text(json.dumps(ui))
    shutil.copytree(HOOKS, root / "scripts")
    return root


@contextmanager
def runtime() -> Iterator[Runtime]:
    rt = open_runtime()
    try:
        yield rt
    finally:
        rt.close()


def install(rt: Runtime, source: Path, *, scope: str = "global", project: Path | None = None,
            host: str = "codexchat", grant: bool = False) -> str:
    """Install (permissions stay undecided: C4); ``grant`` then grants every declared key, as a user
    running ``modgate mod permissions ID --grant KEY`` for each would."""
    inst = Installer(rt.tx, rt.home)
    if not rt.db.query("SELECT 1 FROM ext_settings WHERE key='allowExecutable' AND value='true'"):
        inst.allow_executable(True)
    result = inst.install(str(source), scope=scope, project=project, host=host, consent=lambda _: True)
    install_id = str(result["mod"]["id"])
    for key in result["permissions"] if grant else ():
        inst.decide_permission(install_id, key, "granted")
    return install_id


def runner(rt: Runtime, ask: Any = None) -> HookRunner:
    return make_runner(rt, ask=ask)


def python() -> str:
    return sys.executable
