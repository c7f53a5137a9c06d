"""The hook runner: an event reaches every enabled mod's matching hooks, each in the sandbox.

For one event: the targets are the enabled, unchanged mods installed for a host that declares
the event (``modsBar.action`` on every host), project mods first, then global ones (a project
mod shadows the global mod with the same id). Per hook, in order: debounce (an atomic claim),
permissions (stored deny refuses, undecided asks or reports ``permission-required``), the
sandbox, then the handlers run concurrently (at most ``MAX_PARALLEL``) and their output is
applied one by one: modsBar, artifacts, log, board commands. State, modsBar output and the log
are written by modgate, never by the handler.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from modgate.errors import ModgateError
from modgate.ext import records, runlog, runstate, sandbox
from modgate.ext.artifacts import write_artifacts
from modgate.ext.handlerout import HandlerOutput, OutputError, applies_to_slot, decode_output, scope_key
from modgate.ext.installer import Installer, project_id
from modgate.ext.manifest import HostRules, Package, validate_package
from modgate.ext.records import InstallRecord
from modgate.ext.tree import DirReader
from modgate.ext.uimod import MODS_BAR_EVENT, Handler
from modgate.ext.worker import WorkerResult, run_worker
from modgate.host import get_host

PROTOCOL = "codexchat.extension.v1"
MAX_PARALLEL = 8
# A callback that asks the user about one permission: True grant, False deny, None cannot ask.
Ask = Callable[["PermissionQuestion"], bool | None]
Dispatch = Callable[[str, Any, Mapping[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True, slots=True, kw_only=True)
class EventContext:
    event: str
    project: Path | None = None
    thread_id: str | None = None
    turn_id: str | None = None
    turn_status: str | None = None
    payload: Mapping[str, str] = field(default_factory=dict)
    target_mod_id: str | None = None
    target_hook_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PermissionQuestion:
    install_id: str
    mod_id: str
    item: str  # "hook <id>" / "automation <id>"
    key: str
    scope: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    install_id: str
    mod_id: str
    item_id: str
    status: str
    duration_ms: float
    error: str | None
    kind: str = "hook"

    def to_dict(self) -> dict[str, Any]:
        # The shapes of `events emit` and `automations run-due` (the issue fixes both).
        head = ({"installId": self.install_id, "modId": self.mod_id, "hookId": self.item_id} if self.kind == "hook"
                else {"installId": self.install_id, "automationId": self.item_id})
        return {**head, "status": self.status, "durationMs": round(self.duration_ms, 3), "error": self.error}


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """One handler run that passed debounce and permissions."""

    rec: InstallRecord
    package: Package
    kind: str
    item_id: str
    handler: Handler
    permissions: tuple[str, ...]
    timeout_ms: int


@functools.lru_cache(maxsize=64)
def _package(path: str, tree_hash: str, host: str) -> Package:
    """The validated package of an install whose files were just verified to have ``tree_hash``.

    Same hash, same files, same result: validating again per event would only cost time.
    """
    return validate_package(DirReader(Path(path)), package_path=path, first_party=True,
                            rules=HostRules.for_host(get_host(host)))


def iso_seconds(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class HookRunner:
    def __init__(self, installer: Installer, *, ask: Ask | None = None, dispatch: Dispatch | None = None,
                 clock: Callable[[], float] = time.time, max_parallel: int = MAX_PARALLEL) -> None:
        self.installer, self.db, self.home = installer, installer.db, installer.home
        self.ask, self.dispatch, self.clock, self.max_parallel = ask, dispatch, clock, max_parallel
        self.pending: list[runstate.RunState] = []  # states of applied runs, written by flush()
        self.log_lines: dict[str, list[tuple[float, str]]] = {}  # runtime.log lines per install, ditto

    # --- targets -------------------------------------------------------------------------------

    def targets(self, project: Path | None) -> list[tuple[InstallRecord, Package]]:
        """Enabled, unchanged executable mods for ``project`` then global (project shadows global)."""
        return [(r, p) for r, p in self.targets_all(project) if r.executable]

    def targets_all(self, project: Path | None) -> list[tuple[InstallRecord, Package]]:
        """Enabled, unchanged mods for ``project`` then global; project shadows global by mod id."""
        pid = project_id(project) if project is not None else None
        chosen: dict[str, tuple[InstallRecord, Package]] = {}
        for rec in records.all_records(self.db):
            if not rec.enabled or rec.project_id not in ("", pid):
                continue
            if rec.mod_id in chosen and chosen[rec.mod_id][0].scope == "project":
                continue
            try:
                self.installer.verify(rec)
                pkg = _package(rec.path, rec.tree_hash, rec.host)
            except ModgateError as exc:
                runlog.append(self.home, rec.id, f"not loaded: {exc.code}: {exc.message}")  # no flush follows a listing
                continue
            chosen[rec.mod_id] = (rec, pkg)
        items = list(chosen.values())
        return sorted(items, key=lambda item: item[0].scope != "project")

    @staticmethod
    def declares(rec: InstallRecord, event: str) -> bool:
        """An event reaches a mod only when the host it was installed for declares it (the modsBar's
        own ``modsBar.action`` everywhere)."""
        if event == MODS_BAR_EVENT:
            return True
        try:
            return event in get_host(rec.host).event_names
        except ModgateError:  # a host that is no longer installed declares nothing
            return False

    # --- events --------------------------------------------------------------------------------

    def emit(self, ctx: EventContext) -> list[Run]:
        try:
            return self._emit(ctx)
        finally:
            self.flush()  # what the admission already logged or recorded, even when something failed

    def _emit(self, ctx: EventContext) -> list[Run]:
        jobs: list[Job] = []
        runs: list[Run | None] = []
        for rec, pkg in self.targets(ctx.project):
            if not self.declares(rec, ctx.event):
                continue
            if ctx.event == "modsBar.action" and ctx.target_mod_id not in (None, rec.mod_id):
                continue
            for hook in pkg.ui.hooks:
                if hook.event != ctx.event or ctx.target_hook_id not in (None, hook.id):
                    continue
                job = Job(rec=rec, package=pkg, kind="hook", item_id=hook.id, handler=hook.handler,
                          permissions=hook.permissions, timeout_ms=hook.timeout_ms)
                early = self.gate(job, hook.debounce_ms)
                runs.append(early)
                if early is None:
                    jobs.append(job)
        return self.finish(jobs, runs, ctx)

    def finish(self, jobs: list[Job], runs: list[Run | None], ctx: EventContext) -> list[Run]:
        """Run the admitted jobs concurrently; apply their results in order; fill the ``None`` slots."""
        try:
            results = self.execute(jobs, ctx)
            applied = iter([self.apply(job, result, ctx) for job, result in zip(jobs, results, strict=True)])
        finally:
            self.flush()
        return [run if run is not None else next(applied) for run in runs]

    def log(self, install_id: str, line: str) -> None:
        """A runtime.log line, written with the others of this event by :meth:`flush`."""
        self.log_lines.setdefault(install_id, []).append((time.time(), line))  # wall time, even under --now

    def flush(self) -> None:
        """Write the states of the runs applied so far in one transaction, and each mod's log lines at once."""
        lines, self.log_lines = self.log_lines, {}
        for install_id, entries in lines.items():
            runlog.append_many(self.home, install_id, entries)
        if self.pending:
            states, self.pending = self.pending, []
            runstate.record(self.db, *states)

    # --- admission -----------------------------------------------------------------------------

    def gate(self, job: Job, debounce_ms: int) -> Run | None:
        """A finished run when the job must not start (sandbox, permissions, debounce), else None."""
        try:
            sandbox.mode()
        except ModgateError as exc:
            hint = f" {exc.problem.hint}" if exc.problem.hint else ""
            return self.skip(job, "sandbox-unavailable", exc.message + hint, record=False)
        refused = self.check_permissions(job)
        if refused is not None:
            return refused
        if not runstate.claim(self.db, job.rec.id, job.kind, job.item_id, self.clock(), debounce_ms):
            return self.skip(job, "debounced", None, record=False)
        return None

    def check_permissions(self, job: Job) -> Run | None:
        stored = records.decisions(self.db, job.rec.id)
        for key in job.permissions:
            status = stored.get(key, (None, 0.0))[0]
            if status == "denied":
                return self.skip(job, "permission-denied", f"permission {key} was denied", record=True)
            if status == "granted":
                continue
            answer = self._ask(job, key)
            if answer is None:
                return self.skip(job, "permission-required", f"{job.kind} {job.item_id} of {job.rec.mod_id} needs "
                                  f"{key}: run `modgate mod permissions {job.rec.id} --grant {key}`", record=False)
            self.installer.decide_permission(job.rec.id, key, "granted" if answer else "denied")
            if not answer:
                return self.skip(job, "permission-denied", f"permission {key} was denied", record=True)
        return None

    def _ask(self, job: Job, key: str) -> bool | None:
        if self.ask is None:
            return None
        return self.ask(PermissionQuestion(install_id=job.rec.id, mod_id=job.rec.mod_id,
                                           item=f"{job.kind} {job.item_id}", key=key, scope=job.rec.scope,
                                           source=job.rec.source))

    def skip(self, job: Job, status: str, error: str | None, *, record: bool) -> Run:
        if record:
            now = self.clock()
            state = runstate.get(self.db, job.rec.id, job.kind, job.item_id)
            runstate.record(self.db, replace(state, last_run_at=now, last_status=status, last_error=error))
        self.log(job.rec.id, f"{job.kind} {job.item_id}: {status}" + (f": {error}" if error else ""))
        return Run(install_id=job.rec.id, mod_id=job.rec.mod_id, item_id=job.item_id, status=status,
                   duration_ms=0.0, error=error, kind=job.kind)

    # --- running -------------------------------------------------------------------------------

    def execute(self, jobs: list[Job], ctx: EventContext) -> list[WorkerResult]:
        # The state folder of a mod is prepared once per event, however many of its hooks run.
        prepared = {path: self.prepare(path) for path in {job.rec.path for job in jobs}}
        if len(jobs) <= 1:
            return [self.run_one(job, ctx, prepared[job.rec.path]) for job in jobs]
        with ThreadPoolExecutor(max_workers=min(self.max_parallel, len(jobs))) as pool:
            return list(pool.map(lambda job: self.run_one(job, ctx, prepared[job.rec.path]), jobs))

    @staticmethod
    def prepare(path: str) -> str | None:
        """Create the mod's writable state folder; the launch error when that fails."""
        try:
            sandbox.prepare_state(Path(path))
        except (ModgateError, OSError) as exc:
            message = f"{exc.code}: {exc.message}" if isinstance(exc, ModgateError) else str(exc)
            return f"Failed to launch extension worker: {message}"
        return None

    def run_one(self, job: Job, ctx: EventContext, problem: str | None = None) -> WorkerResult:
        """Launch one handler (no database access: this runs on a worker thread)."""
        if problem is not None:
            return WorkerResult(status="failed", output=None, error=problem, duration_ms=0.0)
        try:
            mod_dir = Path(job.rec.path)
            access = "rw" if "projectWrite" in job.permissions else "ro" if "projectRead" in job.permissions else "none"
            launch = sandbox.plan(sandbox.SandboxSpec(
                mod_dir=mod_dir, argv=job.handler.command, cwd=job.handler.cwd, project_dir=ctx.project,
                project_access=access, network="network" in job.permissions, home=self.home,
                cpu_seconds=max(1, math.ceil(job.timeout_ms / 1000)) + 1))
        except (ModgateError, OSError) as exc:
            message = f"{exc.code}: {exc.message}" if isinstance(exc, ModgateError) else str(exc)
            return WorkerResult(status="failed", output=None, error=f"Failed to launch extension worker: {message}",
                                duration_ms=0.0)
        return run_worker(launch, self.envelope(ctx, job, launch.project_path), job.timeout_ms)

    def envelope(self, ctx: EventContext, job: Job, project_path: str | None) -> bytes:
        pid = project_id(ctx.project) if ctx.project is not None else ""
        doc: dict[str, Any] = {"protocol": PROTOCOL, "event": ctx.event, "timestamp": iso_seconds(self.clock()),
                               "project": {"id": pid, "path": project_path or ""},
                               "thread": {"id": ctx.thread_id or ""}, "payload": dict(ctx.payload)}
        if ctx.turn_id is not None:
            doc["turn"] = {"id": ctx.turn_id, **({"status": ctx.turn_status} if ctx.turn_status else {})}
        return orjson.dumps(doc) + b"\n"

    # --- results -------------------------------------------------------------------------------

    def apply(self, job: Job, result: WorkerResult, ctx: EventContext) -> Run:
        status, error = result.status, result.error
        if status == "ok" and result.output is not None:
            try:
                error = self.apply_output(job, decode_output(result.output), ctx)
            except OutputError as exc:
                error = f"Extension worker returned malformed output: {exc}"
            except ModgateError as exc:  # e.g. the bus or the store refused; the run failed, others go on
                error = f"Applying the output failed: {exc.code}: {exc.message}"
            status = "ok" if error is None else "failed"
        now = self.clock()
        state = runstate.get(self.db, job.rec.id, job.kind, job.item_id)
        self.pending.append(replace(state, last_run_at=now, last_status="ok" if status == "ok" else "failed",
                                    last_error=error))
        line = f"{job.kind} {job.item_id}: {status} in {result.duration_ms:.0f}ms"
        self.log(job.rec.id, line + (f": {error}" if error else ""))
        if result.stderr.strip():
            self.log(job.rec.id, f"{job.kind} {job.item_id} stderr: {result.stderr.strip()[:2000]}")
        return Run(install_id=job.rec.id, mod_id=job.rec.mod_id, item_id=job.item_id, status=status,
                   duration_ms=result.duration_ms, error=error, kind=job.kind)

    def apply_output(self, job: Job, out: HandlerOutput, ctx: EventContext) -> str | None:
        if out.log:
            self.log(job.rec.id, f"{job.kind} {job.item_id} log: {out.log}")
        if out.mods_bar is not None:
            self.store_mods_bar(job, out.mods_bar, ctx)
        for line in write_artifacts(ctx.project, out.artifacts, "projectWrite" in job.permissions):
            self.log(job.rec.id, f"{job.kind} {job.item_id} {line}")
        for command in out.commands:
            self.run_command(job, command)
        return None if out.ok else f"the handler reported ok: false{': ' + out.log if out.log else ''}"

    def store_mods_bar(self, job: Job, bar: Mapping[str, Any], ctx: EventContext) -> None:
        slot = job.package.ui.mods_bar
        if slot is None or not slot.enabled or not applies_to_slot(slot.source_type, slot.source_hook_id,
                                                                   job.item_id):
            self.log(job.rec.id, f"{job.kind} {job.item_id}: modsBar output ignored (slot rule)")
            return
        pid = project_id(ctx.project) if ctx.project is not None else ""
        key = scope_key(str(bar["scope"]), pid, ctx.thread_id)
        if key is None:
            self.log(job.rec.id, f"{job.kind} {job.item_id}: modsBar output ignored: scope "
                          f"{bar['scope']} needs a {'project' if bar['scope'] == 'project' else 'thread'}")
            return
        runstate.put_mods_bar(self.db, job.rec.id, key, {**bar, "title": bar.get("title") or slot.title},
                              self.clock())

    def run_command(self, job: Job, command: Mapping[str, Any]) -> None:
        name = str(command.get("commandId"))
        if self.dispatch is None or job.rec.host != "board":
            self.log(job.rec.id, f"command {name}: refused: the {job.rec.host} host runs no commands")
            return
        envelope = self.dispatch(name, command.get("payload"), {"installId": job.rec.id, "hookId": job.item_id})
        self.log(job.rec.id, f"command {name}: {envelope.get('code')}"
                      + (f" ({envelope.get('approvalId')})" if envelope.get("approvalId") else ""))
