"""The studio's calls into the library: the same functions the CLI calls, never a second rule.

One :class:`Studio` per server process holds one runtime (opened, and so recovered, once at
start) and serialises every use of its SQLite connection with a lock: handlers run in a thread
pool. Every method returns plain data for the templates; refusals stay coded
:class:`~modgate.errors.ModgateError` values for the caller to show.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from modgate.app import Runtime, open_runtime
from modgate.errors import ModgateError, Problem
from modgate.studio.modes import BLOCKING_STATES
from modgate.tx import machine as m

T = TypeVar("T")
APPROVER = "studio-host"  # the studio user acts in the host role, under this identity
ACTIVE_STATES = frozenset({m.RECEIVED, m.PREVIEWING, m.PREVIEW_READY, m.APPROVAL_PENDING, m.APPROVED,
                           m.FAILED_PRE_APPLY, *BLOCKING_STATES})
RECENT_LIMIT = 30
PENDING_SHOWN = 100  # rows of waiting changes in the side surface; /changes lists them all
AUDIT_LIMIT = 15
AUDIT_SCAN = 300  # recent events searched for a filtered timeline
AUDIT_FILTERS = {"all": "", "tx": "tx.", "capability": "capability.", "ext": "ext.", "module": "module."}
PACKAGE_LIMIT = 1024 * 1024  # bytes of a pasted package: reads are bounded


def fail(code: str, message: str, path: str = "", **detail: Any) -> ModgateError:
    return ModgateError(Problem(code=code, path=path, message=message, detail=detail))


class Studio:
    def __init__(self, home: Path | None = None, clock: Callable[[], float] = time.time, *,
                 host: str | None = None) -> None:
        self.rt: Runtime = open_runtime(home, host=host)
        self.lock = threading.RLock()
        self.clock = clock
        self._verified: tuple[int, dict[str, Any]] | None = None

    def close(self) -> None:
        with self.lock:
            self.rt.close()

    @contextmanager
    def using(self) -> Iterator[Runtime]:
        with self.lock:
            yield self.rt

    def call(self, fn: Callable[[Runtime], T]) -> T:
        with self.using() as rt:
            return fn(rt)

    # -- change detection (polled by the event stream) ------------------------------------------
    def head(self) -> tuple[int, int]:
        """(store revision, audit head seq): every transition and every write moves one of them."""
        with self.using() as rt:
            row = rt.db.query("SELECT (SELECT value FROM meta WHERE key='revision'),"
                              " (SELECT COALESCE(MAX(seq), 0) FROM audit)")[0]
        return int(row[0]), int(row[1])

    # -- the shared transaction surface ---------------------------------------------------------
    def surface(self, audit_filter: str = "all") -> dict[str, Any]:
        from modgate.store import audit as audit_log

        prefix = AUDIT_FILTERS.get(audit_filter, "")
        with self.using() as rt:
            items = rt.tx.list_tx()
            revisions = rt.store.domain_revisions()
            events = audit_log.recent(rt.db, AUDIT_LIMIT if not prefix else AUDIT_SCAN)
            events = [e for e in events if e["eventType"].startswith(prefix)][-AUDIT_LIMIT:]
            head = self.head()
            for item in items:
                if item["state"] in (m.APPROVAL_PENDING, m.APPROVED):
                    item["stale"] = rt.tx.preview_is_stale(item["baseRevision"], revisions)
        pending = [i for i in items if i["state"] in ACTIVE_STATES]
        recent = [i for i in reversed(items) if i["state"] not in ACTIVE_STATES][:RECENT_LIMIT]
        return {"pending": pending, "shown": PENDING_SHOWN, "recent": recent, "total": len(items),
                "revisions": revisions,
                "revision": head[0], "auditHead": head[1], "audit": list(reversed(events)),
                "plainAudit": [e for e in reversed(events) if e["eventType"].startswith("tx.")
                               and e["data"].get("nextState")],
                "verify": self.verify_status(head[1]), "blocking": [i for i in items if i["state"] in BLOCKING_STATES]}

    def transactions(self) -> list[tuple[str, str]]:
        with self.using() as rt:
            return [(i["txId"], i["state"]) for i in rt.tx.list_tx()]

    def show(self, tx_id: str) -> dict[str, Any]:
        with self.using() as rt:
            shown = rt.tx.show(tx_id)
            shown["stale"] = shown["state"] in (m.APPROVAL_PENDING, m.APPROVED) and \
                rt.tx.preview_is_stale(shown["baseRevision"])
        return shown

    def state_of(self, tx_id: str | None) -> str | None:
        if tx_id is None:
            return None
        try:
            return str(self.show(tx_id)["state"])
        except ModgateError:
            return None

    def approve(self, tx_id: str, preview_hash: str) -> dict[str, Any]:
        with self.using() as rt:
            shown = rt.tx.show(tx_id)
            if rt.tx.preview_is_stale(shown["baseRevision"]):
                raise fail("studio-preview-stale", f"the state changed since {tx_id} was previewed; make a fresh"
                           " preview and review it before approving", "previewHash")
            return rt.tx.approve(tx_id, preview_hash=preview_hash, approver_id=APPROVER)

    def reject(self, tx_id: str, reason: str) -> dict[str, Any]:
        return self.call(lambda rt: rt.tx.reject(tx_id, approver_id=APPROVER, reason=reason))

    def apply(self, tx_id: str) -> dict[str, Any]:
        """The one apply path: the newest approval of the current attempt, a fresh idempotency key."""
        with self.using() as rt:
            engine = rt.tx
            token = engine.latest_token(tx_id)
            if token is None:
                raise fail("tx-not-approved", f"{tx_id} has no approval for its current preview; approve it"
                           " first", "txId")
            return engine.apply(tx_id, approval_token=token, idempotency_key=f"studio-{secrets.token_hex(8)}",
                                requested_by=APPROVER)

    def rollback(self, tx_id: str, reason: str) -> dict[str, Any]:
        return self.call(lambda rt: rt.tx.rollback(tx_id, reason=reason, requested_by=APPROVER,
                                                         idempotency_key=f"studio-{secrets.token_hex(8)}"))

    def refresh(self, tx_id: str) -> dict[str, Any]:
        return self.call(lambda rt: rt.tx.refresh(tx_id, actor=(APPROVER, "host")))

    def recover(self) -> list[dict[str, Any]]:
        """Reconcile attempts a crashed process left half-done (skipped while one is still working)."""
        return self.call(lambda rt: rt.tx.recover())

    # -- audit ----------------------------------------------------------------------------------
    def verify_status(self, head_seq: int) -> dict[str, Any] | None:
        """The last chain verification, if it still covers the current head."""
        if self._verified is not None and self._verified[0] == head_seq:
            return self._verified[1]
        return None

    def verify(self) -> dict[str, Any]:
        from modgate.store import audit as audit_log

        with self.using() as rt:
            result = audit_log.verify(rt.db)
            self._verified = (self.head()[1], result)
        return result

    # -- heavy lane -------------------------------------------------------------------------------
    def lint(self, text: str) -> list[dict[str, Any]]:
        from modgate.modules.lint import lint_bytes

        return [p.to_dict() for p in lint_bytes(_bounded(text), self.rt.host)]

    def propose_import(self, text: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """As ``modgate import`` without --yes: validate (a refusal is audited), then preview."""
        from modgate.modules.importing import check_import, preview_import

        with self.using() as rt:
            outcome = check_import(rt, _bounded(text))
            if not outcome.ok or outcome.package is None:
                return outcome.envelope, None
            return outcome.envelope, preview_import(rt, outcome.package, requested_by=APPROVER)

    def starter(self, module_id: str) -> str:
        from modgate.modules.starter import new_module_package
        from modgate.strictjson import dumps_pretty

        return dumps_pretty(new_module_package(module_id))

    def modules(self) -> list[dict[str, Any]]:
        from modgate.modules.registry import sorted_modules

        return self.call(lambda rt: sorted_modules(rt.store.state()))

    def grants(self) -> list[dict[str, Any]]:
        from modgate.caps import store as caps_store

        return self.call(lambda rt: caps_store.list_grants(rt.db))

    def grant(self, module_id: str, capability_id: str, persistent: bool) -> dict[str, Any]:
        from modgate.caps import store as caps_store

        with self.using() as rt:
            made, _ = caps_store.grant_requested(rt.db, rt.store.state(), module_id, capability_id,
                                                 persistent=persistent, approver_id=APPROVER)
        return made.to_dict()

    def revoke(self, module_id: str, capability_id: str) -> list[dict[str, Any]]:
        from modgate.caps import store as caps_store

        return self.call(lambda rt: [g.to_dict() for g in caps_store.revoke(rt.db, module_id, capability_id)])

    def graphs(self) -> list[dict[str, Any]]:
        from modgate import graph as core

        with self.using() as rt:
            return [g.to_dict() for g in core.build_graphs(rt.host, rt.store.state())]

    # -- extensions -------------------------------------------------------------------------------
    def _installer(self, rt: Runtime) -> Any:
        from modgate.ext.installer import Installer

        return Installer(rt.tx, rt.home)

    def mods(self) -> dict[str, Any]:
        from modgate.ext import permissions, records

        with self.using() as rt:
            inst = self._installer(rt)
            listed = inst.list()
            for item in listed:
                item["permissions"] = sorted(records.granted(rt.db, item["id"]))
                item["decisions"] = permissions.show(inst, item["id"])["permissions"]
                item["modsBar"] = [a for a in item["actions"] if a.get("trigger") == "modsBar.action"
                                   or a.get("modsBarOutput")]
            return {"mods": listed, "allowExecutable": records.allow_executable(rt.db),
                    "diagnostics": records.diagnostics(rt.db, 20), "hookRuns": _hook_runs(rt)}

    def set_mod_enabled(self, install_id: str, enabled: bool) -> dict[str, Any]:
        with self.using() as rt:
            inst = self._installer(rt)
            result: dict[str, Any] = inst.enable(install_id) if enabled else inst.disable(install_id)
            return result


def _bounded(text: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    if len(data) > PACKAGE_LIMIT:
        raise fail("studio-input-too-large", f"the package is {len(data)} bytes; the studio takes at most"
                   f" {PACKAGE_LIMIT}", "package")
    return data


def _hook_runs(rt: Runtime) -> list[dict[str, Any]]:
    """Recent hook and automation runs, as the hook runtime records them."""
    from modgate.ext import runstate

    return [r.to_dict() for r in runstate.recent(rt.db, 20)]
