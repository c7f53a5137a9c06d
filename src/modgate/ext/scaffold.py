"""``modgate mod init``: write a new package that validates as written.

Like CodexChat's "Create Sample", ``integrity`` is left unset so editing ``ui.mod.json`` while
iterating does not cause checksum drift; permissions are derived from the hooks.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from modgate import strictjson
from modgate.ext.errors import fail
from modgate.ext.manifest import ID_PATTERN, MANIFEST_FILE
from modgate.ext.uimod import MODS_BAR_EVENT

HOOK_SCRIPT = """#!/bin/sh
# Reads one JSON line (the event) on stdin; prints one JSON line.
read -r _event
printf '%s\\n' '{"ok": true, "modsBar": {"markdown": "Event handled."}}'
"""
PREFERRED_EVENT = "turn.completed"  # CodexChat's sample event, where the host declares it


def sample_event(host_events: tuple[str, ...]) -> str:
    """The sample hook's event: one the install host declares, so the package validates for it."""
    if PREFERRED_EVENT in host_events:
        return PREFERRED_EVENT
    return host_events[0] if host_events else MODS_BAR_EVENT


def default_id(directory: Path) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", directory.resolve().name.lower()).strip("-")
    return f"local.{name or 'mod'}"


def sample_files(mod_id: str, name: str, with_hook: bool, event: str = PREFERRED_EVENT) -> dict[str, str]:
    ui: dict[str, Any] = {"schemaVersion": 1, "manifest": {"id": mod_id, "name": name, "version": "0.1.0"},
                          "theme": {}}
    permissions: list[str] = []
    files = {"README.md": f"# {name}\n\nA modgate / CodexChat extension mod. See docs/extensions.md.\n"}
    if with_hook:
        ui["hooks"] = [{"id": "turn-summary", "event": event,
                        "handler": {"command": ["sh", "scripts/hook.sh"], "cwd": "."},
                        "permissions": {"projectRead": True}, "timeoutMs": 8000, "debounceMs": 0}]
        ui["uiSlots"] = {"modsBar": {"enabled": True, "title": name,
                                     "source": {"type": "handlerOutput", "hookId": "turn-summary"}}}
        permissions = ["projectRead"]
        files["scripts/hook.sh"] = HOOK_SCRIPT
    package = {"schemaVersion": 1, "id": mod_id, "name": name, "version": "0.1.0",
               "description": f"{name}.", "entrypoints": {"uiMod": "ui.mod.json"}, "permissions": permissions,
               "compatibility": {"platforms": ["*"]}}
    files[MANIFEST_FILE] = strictjson.dumps_pretty(package)
    files["ui.mod.json"] = strictjson.dumps_pretty(ui)
    return files


def write_package(directory: Path, mod_id: str | None, *, with_hook: bool,
                  host_events: tuple[str, ...] = (PREFERRED_EVENT,)) -> list[str]:
    """Write the package; the sample hook (``with_hook``) listens to an event of ``host_events``."""
    ident = mod_id or default_id(directory)
    if not ID_PATTERN.match(ident):
        fail("package.invalid-id", f"Invalid mod package id: {ident}", "--id")
    if (directory / MANIFEST_FILE).exists():
        fail("package.exists", f"{directory / MANIFEST_FILE} already exists; not overwriting it.",
             str(directory))
    name = ident.rsplit(".", 1)[-1].replace("-", " ").title()
    files = sample_files(ident, name, with_hook, sample_event(host_events))
    try:
        for rel, text in sorted(files.items()):
            _write_new(directory / rel, text, 0o755 if rel.endswith(".sh") else 0o644)
    except FileExistsError as exc:  # an existing file or symlink (dangling or not) is never written through
        fail("package.exists", f"{exc.filename} already exists (or is a symlink); not overwriting it.", str(directory))
    except OSError as exc:
        fail("package.write-failed", f"Cannot write the package into {directory}: {exc.strerror or exc}",
             str(directory))
    return sorted(files)


def _write_new(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, mode)
