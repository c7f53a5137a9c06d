"""Every problem of an extension package, not just the first (``modgate mod validate``).

:func:`modgate.ext.manifest.validate_package` is fail-fast, in CodexChat's order, as install needs.
This module runs the same rules piece by piece — the manifest, each part of ``ui.mod.json``
(its manifest, themes, every hook and automation, the modsBar slot) and each cross-check — and
keeps going after a refusal, so an author sees every problem at once, sorted by path then code,
like ``modgate lint`` for heavy packages. A part that cannot be decoded only hides the checks that
need it. Pure apart from the reader it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from modgate.errors import Problem
from modgate.ext import manifest as m
from modgate.ext import uimod as u
from modgate.ext.errors import ExtError

T = TypeVar("T")


class _Problems:
    def __init__(self) -> None:
        self.found: list[Problem] = []

    def attempt(self, fn: Callable[..., T], *args: Any) -> T | None:
        try:
            return fn(*args)
        except ExtError as exc:
            self.found.append(exc.problem)
            return None


def package_problems(reader: m.PackageReader, *, package_path: str, rules: m.HostRules) -> list[Problem]:
    """Every problem the install would refuse the package for; [] when it would accept it."""
    out = _Problems()
    raw = reader.read(m.MANIFEST_FILE)
    if raw is None:
        return [Problem(code="package.missing-manifest", path=m.MANIFEST_FILE, message=m.MISSING_MANIFEST)]
    doc = out.attempt(m.load_json, raw, "package.invalid-manifest", "codex.mod.json", m.MANIFEST_FILE)
    manifest = out.attempt(m.decode_manifest, doc) if doc is not None else None
    ui_raw = out.attempt(m.entrypoint_bytes, reader, manifest.ui_mod) if manifest is not None else None
    ui = _ui_mod(out, ui_raw) if ui_raw is not None else None
    if manifest is not None:
        out.attempt(m.check_identity, manifest, ui, m.is_first_party_path(package_path))
    if manifest is not None and ui is not None:
        out.attempt(m.check_permissions, manifest, ui)
        out.attempt(m.check_events, ui, rules)
        out.attempt(m.check_integrity, manifest, m.sha256_bytes(ui_raw or b""))
    if manifest is not None:
        out.attempt(m.check_compatibility, manifest, rules)
    return sorted(_unique(out.found), key=lambda p: (p.path, p.code))


def _ui_mod(out: _Problems, raw: bytes) -> u.UIMod | None:
    """The whole decode when it succeeds; otherwise each part on its own, to find every problem."""
    whole = out.attempt(m.read_ui_mod, raw)
    if whole is not None:
        return whole
    doc = _doc(raw)
    if not isinstance(doc, dict) or out.found[-1].code != "package.invalid-ui-mod":
        return None  # not JSON, legacy or wrong schemaVersion: nothing more to check
    out.found.pop()  # re-found below, beside the others
    seen_hooks: set[str] = set()
    seen_automations: set[str] = set()
    parts: list[tuple[Callable[..., Any], tuple[Any, ...]]] = [(u.manifest_of, (doc.get("manifest"),))]
    if "theme" not in doc:
        parts.append((u.invalid, ("theme", "required (use {} for no theme overrides)")))
    else:
        parts.append((u.theme, (doc["theme"], "theme")))
    if doc.get("darkTheme") is not None:
        parts.append((u.theme, (doc["darkTheme"], "darkTheme")))
    hooks = doc.get("hooks", [])
    for index, item in enumerate(hooks if isinstance(hooks, list) else []):
        parts.append((u.hook, (item, f"hooks[{index}]", seen_hooks)))
    if not isinstance(hooks, list):
        parts.append((u.list_of, (hooks, "hooks")))
    automations = doc.get("automations", [])
    for index, item in enumerate(automations if isinstance(automations, list) else []):
        parts.append((u.automation, (item, f"automations[{index}]", seen_automations)))
    if not isinstance(automations, list):
        parts.append((u.list_of, (automations, "automations")))
    for fn, args in parts:
        out.attempt(fn, *args)
    if not any(p.path.startswith("ui.mod.json:") for p in out.found):
        out.attempt(u.decode_ui_mod, doc)  # a problem only the whole document shows (root keys, uiSlots)
    return None


def _doc(raw: bytes) -> Any:
    try:
        return m.load_json(raw, "package.invalid-ui-mod", "ui.mod.json", "ui.mod.json")
    except ExtError:  # already reported by the whole decode
        return None


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for problem in problems:
        key = (problem.code, problem.path)
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out
