"""Light-track samples for task 258: light-track transactions, re-planned on their stored base.

Each light-track transaction created in the window is planned again on the state its current
attempt was planned on (kept by the ``signoff_light_base`` trigger) and its ops hash compared
with the stored one (L-KPI-1); the state its ops leave is resolved for the request's devices and
checked reachable (L-KPI-2). Light intents (the light track's own records, when that track is
installed) add the correction loop (L-KPI-3) and the devices a request targeted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from modgate.evidence import CONTROLLED_FIXTURE, PROD_TRAFFIC
from modgate.signoff import remeasure
from modgate.signoff.model import DEVICES, LightFact, Window

if TYPE_CHECKING:
    from modgate.app import Runtime


def read(rt: Runtime, window: Window, fixture: set[str]) -> tuple[tuple[LightFact, ...], tuple[str, ...]]:
    from modgate.signoff.reader import bases_cache

    intents = _intents(rt, window)
    load = bases_cache(rt.db, window)
    rows = rt.db.query("SELECT t.tx_id, t.kind, t.recipe, t.attempt_no, a.ops FROM tx t JOIN tx_attempts a"
                       " ON a.tx_id=t.tx_id AND a.attempt_no=t.attempt_no WHERE t.track='light'"
                       " AND t.created_at > ? AND t.created_at <= ? ORDER BY t.seq", (window.start, window.end))
    out, with_tx, memo = [], set(), {}  # type: ignore[var-annotated]
    for tx_id, kind, recipe_text, attempt, ops_text in rows:
        recipe, ops = orjson.loads(recipe_text), orjson.loads(ops_text)
        record = intents.get(str(recipe.get("intentId", ""))) if isinstance(recipe, dict) else None
        if record is not None:
            with_tx.add(record["intentId"])
        base = load(tx_id, attempt)
        devices = _devices(record, recipe)
        planner = rt.tx.planners.get(kind)
        same = None if base is None or planner is None else \
            remeasure.replan_hash(planner, base, recipe) == remeasure.ops_hash(ops)
        if same and record is not None and base is not None:
            same = _rerun_intent(rt, record, base) is not False
        out.append(LightFact(sample_id=record["intentId"] if record else tx_id, devices=devices,
                             channel=CONTROLLED_FIXTURE if tx_id in fixture else PROD_TRAFFIC,
                             exhausted=_exhausted(record), deterministic=same,
                             reachable=None if base is None else remeasure.reachable_after(base, ops, devices, memo)))
    out += [_intent_only(r, fixture) for i, r in intents.items() if i not in with_tx]
    notes = [] if intents else ["no light intent records in this home: light samples are light-track transactions"]
    unbased = sum(1 for f in out if f.deterministic is None and f.exhausted is None)
    if unbased:
        notes.append(f"{unbased} light-track transaction(s) without a stored base state (created before migration"
                     " 0500_signoff, or of an unknown kind): not re-run")
    return tuple(out), tuple(notes)


def _intents(rt: Runtime, window: Window) -> dict[str, dict[str, Any]]:
    """The light track's intent records created in the window (none when the track is not installed)."""
    from modgate.signoff.reader import has_table

    if not has_table(rt.db, "light_intents"):
        return {}
    rows = rt.db.query("SELECT record FROM light_intents WHERE created_at > ? AND created_at <= ? ORDER BY seq",
                       (window.start, window.end))
    records = [orjson.loads(r[0]) for r in rows]
    return {r["intentId"]: r for r in records if isinstance(r, dict) and "intentId" in r}


def _rerun_intent(rt: Runtime, record: dict[str, Any], base: dict[str, Any]) -> bool | None:
    """The stored intent run through the light gates again on its base state: same diff id?

    None when there is nothing to compare, or for "undo that" (its changes come from the last
    applied change, not from the base state).
    """
    from modgate.light.pipeline import Context, run_gates

    intent, stored = record.get("intent"), (record.get("artifacts") or {}).get("preview.diff.v1") or {}
    metrics = ((intent or {}).get("successCriteria") or {}).get("metrics") or []
    if not isinstance(intent, dict) or not stored.get("diffId") or rt.host.light is None or any(
            isinstance(m, dict) and m.get("metric") == "light.undo" for m in metrics):
        return None
    again = run_gates(intent, Context(host=rt.host, vocab=rt.host.light, state=base))
    found: bool = (again.artifacts.get("preview.diff.v1") or {}).get("diffId") == stored["diffId"]
    return found


def _devices(record: dict[str, Any] | None, recipe: Any) -> tuple[str, ...]:
    """The device classes a request named (none named: none counted toward a device floor)."""
    named: list[Any] = []
    if record is not None:
        named = list(record.get("devices") or [])
    elif isinstance(recipe, dict) and isinstance(recipe.get("devices"), list):
        named = recipe["devices"]
    return tuple(d for d in DEVICES if d in named)


def _exhausted(record: dict[str, Any] | None) -> bool | None:
    return None if record is None else record.get("status") == "blocked"


def _intent_only(record: dict[str, Any], fixture: set[str]) -> LightFact:
    channel = CONTROLLED_FIXTURE if record["intentId"] in fixture else PROD_TRAFFIC
    return LightFact(sample_id=record["intentId"], devices=_devices(record, None), channel=channel,
                     exhausted=_exhausted(record), deterministic=None, reachable=None)
