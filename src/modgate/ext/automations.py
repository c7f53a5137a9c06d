"""Automations: 5-field cron schedules run through the same sandboxed worker as hooks.

Each automation (keyed ``<installId>::<automationId>``) keeps ``nextRunAt``, ``lastRunAt``,
``lastStatus`` and ``lastError`` in modgate's database. ``run_due(now)`` runs every automation
whose ``nextRunAt`` is at or before ``now`` exactly once — however many runs were missed, it
catches up at most once — then schedules the first match after ``now``. A new automation is
scheduled from its install time. ``closed=True`` is the entry point for a timer while the app
is closed: only automations that ask for ``runWhenAppClosed`` run, and only with that
permission granted and the one-time global consent (``allow_closed``).

The envelope event of an automation is ``automation``; its payload is ``{automationId, schedule}``.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modgate.ext import records, runstate
from modgate.ext.cron import Cron
from modgate.ext.hooks import EventContext, HookRunner, Job, Run
from modgate.ext.manifest import Package
from modgate.ext.records import InstallRecord
from modgate.ext.uimod import Automation
from modgate.store import audit


def _ts(value: datetime) -> float:
    return value.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def iso(ts: float | None) -> str | None:
    return None if ts is None else _dt(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def _items(runner: HookRunner) -> list[tuple[InstallRecord, Package, Automation]]:
    out = []
    for rec, pkg in runner.targets_all(None) + _project_targets(runner):
        out += [(rec, pkg, auto) for auto in pkg.ui.automations]
    seen: set[tuple[str, str]] = set()
    unique = []
    for rec, pkg, auto in out:
        if (rec.id, auto.id) not in seen:
            seen.add((rec.id, auto.id))
            unique.append((rec, pkg, auto))
    return unique


def _project_targets(runner: HookRunner) -> list[tuple[InstallRecord, Package]]:
    # Automations are scheduled across all projects (C8), not only the current one.
    projects = {r.project_path for r in records.all_records(runner.db) if r.scope == "project" and r.project_path}
    out: list[tuple[InstallRecord, Package]] = []
    for path in sorted(p for p in projects if p):
        out += [(r, p) for r, p in runner.targets_all(Path(path)) if r.scope == "project"]
    return out


def next_run(rec: InstallRecord, auto: Automation, state: runstate.RunState) -> float | None:
    if state.next_run_at is not None:
        return state.next_run_at
    found = Cron.parse(auto.schedule).next_after(_dt(state.last_run_at or rec.created_at))
    return None if found is None else _ts(found)


def listing(runner: HookRunner) -> list[dict[str, Any]]:
    out = []
    for rec, _pkg, auto in _items(runner):
        state = runstate.get(runner.db, rec.id, "automation", auto.id)
        out.append({"installId": rec.id, "automationId": auto.id, "schedule": auto.schedule,
                    "nextRunAt": iso(next_run(rec, auto, state)), "lastRunAt": iso(state.last_run_at),
                    "lastStatus": state.last_status})
    return out


def allow_closed(runner: HookRunner, allowed: bool) -> None:
    """Give or withdraw the global run-when-closed consent; an audit event records who and when."""
    with runner.db.atomic() as conn:
        runstate.set_setting(runner.db, runstate.ALLOW_CLOSED, "true" if allowed else None)
        event = audit.AuditEvent(event_type="ext.allow-closed", correlation_id=uuid.uuid4().hex,
                                 data={"allowed": allowed})
        audit.append(conn, [event], runner.clock())


def closed_allowed(runner: HookRunner) -> bool:
    return runstate.setting(runner.db, runstate.ALLOW_CLOSED) == "true"


def run_due(runner: HookRunner, now: float, *, closed: bool = False) -> list[Run]:
    try:
        return _run_due(runner, now, closed)
    finally:
        runner.flush()  # the log lines and states of whatever ran, even when something failed


def _run_due(runner: HookRunner, now: float, closed: bool) -> list[Run]:
    jobs: list[Job] = []
    runs: list[Run | None] = []
    contexts: list[EventContext] = []
    for rec, pkg, auto in _items(runner):
        state = runstate.get(runner.db, rec.id, "automation", auto.id)
        due = next_run(rec, auto, state)
        if due is None or due > now:
            continue
        _schedule(runner, state, auto, now)
        if closed and "runWhenAppClosed" not in auto.permissions:
            continue  # left for the app; it is rescheduled like a run the app missed
        job = Job(rec=rec, package=pkg, kind="automation", item_id=auto.id, handler=auto.handler,
                  permissions=auto.permissions, timeout_ms=auto.timeout_ms)
        early = _closed_gate(runner, job) if closed else None
        early = early or runner.gate(job, 0)
        runs.append(early)
        if early is None:
            jobs.append(job)
            project = Path(rec.project_path) if rec.project_path else None
            contexts.append(EventContext(event="automation", project=project,
                                         payload={"automationId": auto.id, "schedule": auto.schedule}))
    results = [runner.execute([job], ctx)[0] for job, ctx in zip(jobs, contexts, strict=True)]
    done = iter([runner.apply(job, result, ctx) for job, result, ctx in zip(jobs, results, contexts, strict=True)])
    runner.flush()
    return [run if run is not None else next(done) for run in runs]


def _schedule(runner: HookRunner, state: runstate.RunState, auto: Automation, now: float) -> None:
    following = Cron.parse(auto.schedule).next_after(_dt(now))
    runstate.record(runner.db, replace(state, next_run_at=_ts(following) if following else None))


def _closed_gate(runner: HookRunner, job: Job) -> Run | None:
    if not closed_allowed(runner):
        return runner.skip(job, "consent-required", "run-when-closed needs the global consent: "
                           "`modgate automations allow-closed`", record=False)
    return None
