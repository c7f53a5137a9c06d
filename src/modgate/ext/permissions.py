"""Permission decisions per install: granted, denied or undecided, changed as transactions."""

from __future__ import annotations

from typing import Any

from modgate.ext import records
from modgate.ext.errors import fail
from modgate.ext.installer import Installer
from modgate.ext.uimod import PERMISSION_KEYS


def _key(key: str) -> str:
    if key not in PERMISSION_KEYS:
        fail("permission.unknown-key", f"Unknown permission key {key!r}; keys: {', '.join(PERMISSION_KEYS)}",
             "KEY")
    return key


def change(inst: Installer, ident: str, *, grant: str | None, deny: str | None, reset: bool) -> dict[str, Any]:
    if reset:
        return inst.decide_permission(ident, None, None)
    if grant is not None:
        return inst.decide_permission(ident, _key(grant), "granted")
    assert deny is not None
    return inst.decide_permission(ident, _key(deny), "denied")


def show(inst: Installer, ident: str) -> dict[str, Any]:
    rec = inst.resolve(ident)
    stored = records.decisions(inst.db, rec.id)
    return {"ok": True, "installId": rec.id,
            "permissions": {k: stored[k][0] if k in stored else "undecided" for k in PERMISSION_KEYS}}
