"""Theme layering: defaults < global mod < project mod, merged per leaf ("overlay wins if set").

Pure. Matches CodexChat's ``ModThemeOverride.merged(with:)`` (fixtures in the conformance
folder): a group present on only one side is taken whole, a leaf set on the overlay wins, and
``null`` counts as unset. The dark theme is the light theme without its colour overrides
(palette, legacy top-level colours, bubble colours) merged with ``darkTheme``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from modgate.ext.uimod import THEME_LEGACY, THEME_NUMBERS, THEME_STRINGS

GROUPS = (*THEME_NUMBERS, *THEME_STRINGS)
Theme = dict[str, Any]


def merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> Theme:
    out: Theme = {}
    for key in THEME_LEGACY:
        value = overlay.get(key) if overlay.get(key) is not None else base.get(key)
        if value is not None:
            out[key] = value
    for group in GROUPS:
        merged = _merge_group(base.get(group), overlay.get(group))
        if merged is not None:
            out[group] = merged
    return out


def _merge_group(base: Any, overlay: Any) -> dict[str, Any] | None:
    if base is None and overlay is None:
        return None
    combined = {k: v for k, v in (base or {}).items() if v is not None}
    combined.update({k: v for k, v in (overlay or {}).items() if v is not None})
    return combined


def without_colors(theme: Mapping[str, Any]) -> Theme:
    out = {k: dict(v) for k, v in theme.items() if k in GROUPS and k != "palette" and v is not None}
    if "bubbles" in out:
        out["bubbles"] = {k: v for k, v in out["bubbles"].items() if k == "style"}
    return out


def resolve_dark(light: Mapping[str, Any], dark: Mapping[str, Any] | None) -> Theme:
    return merge(without_colors(light), dark or {})


def layered(defaults: Mapping[str, Any], layers: Iterable[Mapping[str, Any]]) -> Theme:
    """Merge layers in order of precedence, lowest first: defaults, then global, then project."""
    out = merge({}, defaults)
    for layer in layers:
        out = merge(out, layer)
    return out
