"""Responsive adaptation (task 252): device profiles, the conflict resolver, the two artifacts.

Pure: no I/O, no clock, no sqlite. Preferences + devices + viewport in, resolved rules out.

Public entries::

    resolve_layout(prefs_by_device=None, devices=(), viewport=None, *,
                   intent_id=None, locks=None, palette=None) -> Adaptation

      prefs_by_device  {"web"|"tablet"|"mobile": {dataInput, dataInputEdge, toolbarAux, canvas,
                       toolPalette}} as stored at /prefs/layout/<device>; a missing device or key
                       takes the light-track.md §1.2 default.
      devices          device targets; de-duplicated and ordered web, tablet, mobile; empty = all.
      viewport         Viewport, "WxH" or None (each device's reference viewport:
                       web 1440x1080, tablet 768x1024, mobile 390x844).
      intent_id        copied into both artifacts (None outside an intent).
      locks            LockRequest: what the request asks of the launcher/close controls
                       (hiding one, or touch targets under 44 px, blocks with a code).
      palette          the default tool palette (the host's toolbarPlacement).

    resolve_stored(state, devices=(), viewport=None) -> Adaptation
      the same from a state snapshot: /prefs/layout/<device> (defaults when the prefs domain or
      the device is absent) and the tool palette default from /local/chrome/toolbarPlacement.

    adapt_intent(intent, prefs_by_device=None, viewport=None, *, locks=None, palette=None)
      the same from an intent.normalized.v1 document (schemaVersion, intentId, targets.surface,
      constraints.deviceTargets/must/mustNot, safety.denyByDefault/requiresApproval).

    Adaptation.to_dict()      responsive.adaptation.v1
    Adaptation.report()       responsive.adaptation.report.v1
    Adaptation.layout_view()  the `modgate layout --json` object (light-track.md §5)

Bad input raises :class:`AdaptError` (a ModgateError) with an ``E_ADAPT_*`` code, a path and
``detail.recoverable``; a layout that cannot be made safe is *not* an exception but a target with
``resolutionStatus: blocked_safe`` and its code in ``failureCodes``. See docs/layout.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modgate.adapt.adaptation import Adaptation, TargetResult, resolve_all, resolve_target
from modgate.adapt.errors import RECOVERABLE, AdaptError
from modgate.adapt.geometry import (
    CANONICAL_TABLET_VIEWPORTS,
    REFERENCE_VIEWPORTS,
    Rect,
    Viewport,
    make_viewport,
    parse_viewport,
)
from modgate.adapt.inputs import (
    DEVICES,
    Intent,
    LayoutPrefs,
    LockRequest,
    ToolPalette,
    device_targets,
    prefs_for,
    stored_prefs,
)
from modgate.adapt.profiles import PROFILES, redline_candidates

__all__ = [
    "CANONICAL_TABLET_VIEWPORTS",
    "DEVICES",
    "PROFILES",
    "RECOVERABLE",
    "REFERENCE_VIEWPORTS",
    "AdaptError",
    "Adaptation",
    "Intent",
    "LayoutPrefs",
    "LockRequest",
    "Rect",
    "TargetResult",
    "ToolPalette",
    "Viewport",
    "adapt_intent",
    "make_viewport",
    "parse_viewport",
    "redline_candidates",
    "resolve_layout",
    "resolve_stored",
    "resolve_target",
]


def _viewport(viewport: Viewport | str | None) -> Viewport | None:
    if viewport is None:
        return None
    if isinstance(viewport, Viewport):  # built directly, so not checked yet
        return make_viewport(viewport.width, viewport.height)
    return parse_viewport(viewport)


def resolve_layout(prefs_by_device: Mapping[str, Any] | None = None, devices: Sequence[str] = (),
                   viewport: Viewport | str | None = None, *, intent_id: str | None = None,
                   locks: LockRequest | None = None, palette: ToolPalette | None = None) -> Adaptation:
    """Resolve the layout of each device target; see the module docstring."""
    targets = device_targets(devices, "devices")
    view = _viewport(viewport)
    prefs = prefs_for(targets, prefs_by_device, palette)
    return resolve_all(targets, prefs, view, locks or LockRequest(), intent_id)


def adapt_intent(intent: Mapping[str, Any], prefs_by_device: Mapping[str, Any] | None = None,
                 viewport: Viewport | str | None = None, *, locks: LockRequest | None = None,
                 palette: ToolPalette | None = None) -> Adaptation:
    """task 252 from an ``intent.normalized.v1`` document: unsafe safety flags block every target."""
    parsed = Intent.from_dict(intent)
    prefs = prefs_for(parsed.device_targets, prefs_by_device, palette)
    return resolve_all(parsed.device_targets, prefs, _viewport(viewport), locks or LockRequest(), parsed.intent_id,
                       safety_ok=parsed.safety_ok)


def resolve_stored(state: Mapping[str, Any], devices: Sequence[str] = (),
                   viewport: Viewport | str | None = None) -> Adaptation:
    """``modgate layout``: resolve from the stored preferences of a state snapshot."""
    prefs, palette = stored_prefs(state)
    return resolve_layout(prefs, devices, viewport, palette=palette)
