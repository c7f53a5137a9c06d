"""Re-measuring what the determinism KPIs claim, instead of trusting what was recorded. Pure.

- a rejected (or valid) import's stored bytes are validated again with the same registry facts;
- a light-track transaction's recipe is planned again on the state it was first planned on, and
  the ops compared with the stored ones (the diff hash);
- the state a light request leaves is resolved for its devices (task 252) and the launcher and
  close/recover controls checked reachable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson

from modgate.errors import ModgateError
from modgate.host.model import Host
from modgate.state import JsonObject, Op, apply_ops
from modgate.tx.model import Planner


def ops_hash(ops: Sequence[dict[str, Any]]) -> str:
    """The diff hash of a change: sha256 of its ops as sorted-key JSON."""
    return "sha256:" + hashlib.sha256(orjson.dumps(list(ops), option=orjson.OPT_SORT_KEYS)).hexdigest()


def revalidate(data: bytes, host: Host, *, registered_version: str | None,
               allow_downgrade: bool) -> tuple[bool, str | None, str | None]:
    """``(ok, first code, first path)`` of validating ``data`` again."""
    from modgate.modules.package import import_bytes

    outcome = import_bytes(data, host, registered_version=registered_version, allow_downgrade=allow_downgrade)
    problem = outcome.problem
    return outcome.ok, problem.code if problem else None, problem.path if problem else None


def replan_hash(planner: Planner, base: JsonObject, recipe: JsonObject) -> str | None:
    """The diff hash of planning ``recipe`` again on ``base``; None when it no longer plans."""
    try:
        plan = planner(base, recipe)
    except ModgateError:
        return None
    return ops_hash([op.to_dict() for op in plan.ops])


def reachable_after(base: JsonObject, ops: Sequence[dict[str, Any]], devices: Sequence[str],
                    memo: dict[bytes, bool] | None = None) -> bool:
    """Whether the layout the change leaves keeps the launcher and close/recover reachable.

    ``memo`` caches the answer by what the resolver reads (the stored layout preferences and the
    palette default), so many requests on the same layout are resolved once.
    """
    from modgate.adapt import resolve_layout
    from modgate.adapt.inputs import stored_prefs

    try:
        after = apply_ops(base, [Op.from_dict(o) for o in ops])
        # What resolve_stored reads: /prefs/layout and /local/chrome/toolbarPlacement.
        chrome = (after.get("local") or {}).get("chrome") or {}
        key = orjson.dumps([(after.get("prefs") or {}).get("layout"), chrome.get("toolbarPlacement"), list(devices)],
                           option=orjson.OPT_SORT_KEYS)
        if memo is not None and key in memo:
            return memo[key]
        prefs, palette = stored_prefs(after)
        report = resolve_layout(prefs, tuple(devices), None, palette=palette).report()
    except (ModgateError, AttributeError, TypeError, orjson.JSONEncodeError):
        return False
    found = all(t["launcherReachable"] and t["closeRecoverReachable"] for t in report["targets"])
    if memo is not None:
        memo[key] = found
    return found
