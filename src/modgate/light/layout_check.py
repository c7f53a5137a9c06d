"""The layout part of the dry-run (G4): the task 252 resolver on the state before and after. Pure.

A layout request fails only on what it newly breaks: resolver codes present after the change but
not before it. ``E_ADAPT_POLICY_LOCK_VIOLATION`` / ``E_ADAPT_TOUCH_TARGET_BREACH`` map to
``E_POLICY_DENIED``, every other ``E_ADAPT_*`` code to ``E_DRYRUN_CONFLICT`` (light-track.md §4);
the ``E_ADAPT_*`` code goes in ``detail.adaptCode``.
"""

from __future__ import annotations

from typing import Any

from modgate.adapt import AdaptError, LockRequest, resolve_layout, resolve_stored
from modgate.light import failures as f
from modgate.light.failures import Failure
from modgate.light.words import devices_words
from modgate.state import JsonObject

GATE = "G4_DRY_RUN_REQUIRED"
POLICY = ("E_ADAPT_POLICY_LOCK_VIOLATION", "E_ADAPT_TOUCH_TARGET_BREACH")
TOUCH_SMALLER = 20  # any size under the 44 px minimum gets the resolver's touch-target verdict


def _codes(state: JsonObject, devices: list[str]) -> tuple[dict[str, set[str]], dict[str, Any]]:
    adaptation = resolve_stored(state, devices)
    return {t.target: set(t.failure_codes) for t in adaptation.targets}, adaptation.to_dict()


def check_layout(before: JsonObject, after: JsonObject, devices: list[str], metric: str
                 ) -> tuple[Failure | None, dict[str, Any] | None]:
    """(failure or None, the responsive.adaptation.v1 of the state after the change)."""
    try:
        old, _ = _codes(before, devices)
        new, document = _codes(after, devices)
    except AdaptError as exc:
        return Failure(code=f.E_DRYRUN_CONFLICT, gate=GATE, metric=metric,
                       message="That layout cannot be worked out for your screen. Pick one of these instead.",
                       detail={"adaptCode": exc.code, "error": exc.message}), None
    for device in sorted(new):
        added = sorted(new[device] - old.get(device, set()))
        if added:
            code = added[0]
            mapped = f.E_POLICY_DENIED if code in POLICY else f.E_DRYRUN_CONFLICT
            message = ("That would hide or shrink the controls that bring panels back, which must always stay"
                       " easy to reach." if mapped == f.E_POLICY_DENIED else
                       f"That layout does not fit on {devices_words([device])}: a panel would cover another."
                       " Pick one of these instead.")
            return Failure(code=mapped, gate=GATE, metric=metric, message=message,
                           detail={"adaptCode": code, "device": device}), document
    return None, document


def lock_code(denied: str, devices: list[str]) -> str | None:
    """The resolver's own verdict on a lock-weakening request (its ``E_ADAPT_*`` code), or None.

    ``denied`` is the grammar's value: ``hide launcher``, ``hide close_button`` or ``touch targets``.
    """
    locks = {"hide launcher": LockRequest(launcher_visible=False),
             "hide close_button": LockRequest(close_recover_visible=False),
             "touch targets": LockRequest(touch_target_px=TOUCH_SMALLER)}.get(denied)
    if locks is None:
        return None
    try:
        adaptation = resolve_layout(None, devices, locks=locks)
    except AdaptError as exc:
        return exc.code
    return next((c for t in adaptation.targets for c in t.failure_codes if c in POLICY), None)
