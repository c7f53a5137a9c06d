"""The light track over a runtime: propose, answer, show, artifacts, prefs (the I/O shell).

Every entry point (CLI, MCP, Python) calls these; the rules live in the pure modules. A request
that passes G0-G5 becomes a transaction of track ``light`` waiting for approval (G6); approving it
is the ordinary ``approvals approve`` / ``tx approve`` + ``tx apply``, after which
``apply.request.v1`` exists (G7) and ``light show`` reports ``READY_FOR_TRANSACTION``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from modgate.auditevent import AuditEvent
from modgate.errors import ModgateError
from modgate.light import correction, records
from modgate.light import failures as f
from modgate.light.artifacts import apply_request
from modgate.light.changes import changed_summary, undo_reason
from modgate.light.failures import Failure
from modgate.light.intent import check_schema, missing_fields
from modgate.light.parser import parse
from modgate.light.pipeline import Context, GateRun, run_gates
from modgate.light.resolve import Change
from modgate.light.text import sanitize_raw
from modgate.light.vocab import LightVocabulary
from modgate.state import Op

if TYPE_CHECKING:
    from modgate.app import Runtime

Envelope = dict[str, Any]
ARTIFACT_NAMES = ("intent.normalized.v1", "manifest.draft.v1", "policy.draft.v1", "dryrun.report.v1",
                  "preview.diff.v1", "apply.request.v1")
DEVICES = ("web", "tablet", "mobile")
MAX_INTENT_BYTES = 64 * 1024


def plain_json(value: Any, depth: int = 0) -> Any:
    """A submitted intent as plain JSON: lone surrogates dropped, non-JSON values become null, bounded depth."""
    if depth > 16:
        return None
    if isinstance(value, str):
        return sanitize_raw(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 else None
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, dict):
        return {sanitize_raw(str(k)): plain_json(v, depth + 1) for k, v in list(value.items())[:200]}
    if isinstance(value, list):
        return [plain_json(v, depth + 1) for v in value[:200]]
    return None


def _field(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def metric_names(intent: Any) -> set[str]:
    """The metric names of an intent of any shape (for the lookups done before the gates run)."""
    metrics = _field(_field(intent, "successCriteria"), "metrics")
    found = (_field(m, "metric") for m in metrics) if isinstance(metrics, list) else ()
    return {m for m in found if isinstance(m, str)}


def _device_targets(intent: Any) -> list[str]:
    devices = _field(_field(intent, "constraints"), "deviceTargets")
    return [d for d in devices if d in DEVICES] if isinstance(devices, list) else []


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _refuse(code: str, message: str, path: str = "", **detail: Any) -> ModgateError:
    return ModgateError.make(code, message, path, **detail)


class LightService:
    def __init__(self, rt: Runtime, clock: Callable[[], float] = time.time) -> None:
        if rt.host.light is None:
            raise _refuse("light-not-available", f"host {rt.host.app_id!r} declares no light vocabulary", "host")
        self.rt = rt
        self.vocab: LightVocabulary = rt.host.light
        self.clock = clock

    # -- entry points ---------------------------------------------------------------------------
    def propose(self, text: str, *, devices: tuple[str, ...] = (), locale: str = "en-US", parser: str = "offline",
                submitted_by: str = "person") -> Envelope:
        if not isinstance(text, str):
            raise _refuse("light-invalid-request", "the request must be text", "text")
        bad = [d for d in devices if d not in DEVICES]
        if bad:
            raise _refuse("light-invalid-request", f"unknown device {bad[0]!r}: use web, tablet or mobile", "device")
        intent_id, created = f"intent-{secrets.token_hex(8)}", iso(self.clock())
        intent = self._parse(text, parser, intent_id=intent_id, created_at=created, locale=locale,
                             devices=tuple(sorted(set(devices))))
        record = {"intentId": intent_id, "createdAt": created, "text": sanitize_raw(text),
                  "devices": sorted(set(devices)),
                  "locale": locale, "parser": parser, "submittedBy": submitted_by, "retries": 0, "history": [],
                  "state": "INTENT_CAPTURED", "status": "captured"}
        return self._run(record, intent)

    def propose_intent(self, intent: Any, *, submitted_by: str = "agent") -> Envelope:
        """A structured ``light.intent.v1`` (from an LLM over MCP): the very same gates."""
        intent_id, created = f"intent-{secrets.token_hex(8)}", iso(self.clock())
        cleaned = plain_json(intent)
        given = dict(cleaned) if isinstance(cleaned, dict) and len(orjson.dumps(cleaned)) <= MAX_INTENT_BYTES else {}
        given.update({"intentId": intent_id, "createdAt": created})
        request = given.get("request") if isinstance(given.get("request"), dict) else {}
        record = {"intentId": intent_id, "createdAt": created,
                  "text": sanitize_raw(str((request or {}).get("rawText", ""))),
                  "devices": [], "locale": str((given.get("actor") or {}).get("locale", "en-US"))
                  if isinstance(given.get("actor"), dict) else "en-US", "parser": "structured",
                  "submittedBy": submitted_by, "retries": 0, "history": [], "state": "INTENT_CAPTURED",
                  "status": "captured"}
        return self._run(record, given)

    def answer(self, intent_id: str, *, option: int | None = None, text: str | None = None) -> Envelope:
        record = records.load(self.rt.db, intent_id)
        if record["status"] == "blocked":
            return self._failure_envelope(record)
        if record["status"] != "failed" or not record.get("correction"):
            raise _refuse("light-answer-not-expected", f"{intent_id} is not waiting for an answer (it is"
                          f" {record['status']})", "intentId", status=record["status"])
        if (option is None) == (text is None):
            raise _refuse("light-invalid-request", "answer with exactly one of --option N or --text TEXT", "answer")
        record["retries"] += 1
        intent = self._answered(record, option, text)
        return self._run(record, intent)

    def show(self, intent_id: str) -> Envelope:
        record = self._refreshed(records.load(self.rt.db, intent_id))
        return {"ok": True, "intentId": intent_id, "state": record["state"], "status": record["status"],
                "gatesPassed": record.get("gates", []), "retries": record["retries"],
                "retriesLeft": max(0, correction.MAX_RETRIES - record["retries"]), "txId": record.get("txId"),
                "txState": record.get("txState"), "summary": record.get("summary", ""),
                "code": record.get("code"), "submittedBy": record["submittedBy"],
                "artifacts": sorted(record.get("artifacts", {}))}

    def artifacts(self, intent_id: str) -> dict[str, Any]:
        record = self._refreshed(records.load(self.rt.db, intent_id))
        found: dict[str, Any] = record.get("artifacts", {})
        return found

    def prefs(self) -> Envelope:
        state = self.rt.store.state()
        prefs = state.get("prefs", {})
        return {"ok": True, "prefs": {k: prefs.get(k, {}) for k in ("defaults", "playback", "layout")}}

    # -- the pipeline ----------------------------------------------------------------------------
    def _parse(self, text: str, parser: str, **kw: Any) -> dict[str, Any]:
        if parser == "llm":
            from modgate.light.llm import parse_llm

            found: dict[str, Any] = parse_llm(text, self.vocab, **kw)
            return found
        if parser != "offline":
            raise _refuse("light-invalid-request", f"unknown parser {parser!r}: use offline or llm", "parser")
        return parse(text, self.vocab, **kw)

    def _run(self, record: dict[str, Any], intent: dict[str, Any]) -> Envelope:
        state = self.rt.store.state()
        names = metric_names(intent)
        ctx = Context(host=self.rt.host, vocab=self.vocab, state=state,
                      undo=self._undo_changes() if "light.undo" in names else None)
        run = run_gates(intent, ctx)
        record.update({"intent": run.intent, "state": run.state, "gates": run.gates, "artifacts": run.artifacts,
                       "failure": None, "correction": None, "escalation": None})
        if run.failure is not None:
            return self._failed(record, run, ctx)
        if "light.changes" in names:
            run.summary = changed_summary(self.vocab, state)
        elif "light.undo" in names and not run.changes:
            run.summary = "There is no change of yours to undo."
        if not run.changes:
            return self._no_change(record, run)
        return self._pending(record, run)

    def _failed(self, record: dict[str, Any], run: GateRun, ctx: Context) -> Envelope:
        failure: Failure = run.failure  # type: ignore[assignment]
        record.update({"status": "failed", "code": failure.code, "failure": failure.to_dict(),
                       "summary": failure.message})
        if failure.recoverable and record["retries"] >= correction.MAX_RETRIES:
            record["status"] = "blocked"
            record["escalation"] = correction.escalation(record["intentId"], failure, record["history"], run.gates)
        elif failure.recoverable:
            devices = _device_targets(run.intent)
            base = self._base(record, run.intent)

            def valid(change: dict[str, Any]) -> bool:  # an option must itself pass every gate
                trial = correction.apply_option(self.vocab, base, failure.to_dict(), change)
                outcome = run_gates(trial, ctx)
                return outcome.failure is None and bool(outcome.changes)

            record["correction"] = correction.prompt(self.vocab, record["intentId"], failure, ctx.state, devices,
                                                     record["retries"], valid)
        self._save(record, "light.failed")
        return self._failure_envelope(record)

    def _failure_envelope(self, record: dict[str, Any]) -> Envelope:
        failure = record["failure"]
        blocked = record["status"] == "blocked"
        return {"ok": False, "code": failure["code"], "intentId": record["intentId"],
                "recoverable": failure["recoverable"] and not blocked, "status": record["status"],
                "message": failure["message"], "correction": None if blocked else record.get("correction"),
                "escalation": record.get("escalation"), "detail": failure.get("detail", {})}

    def _no_change(self, record: dict[str, Any], run: GateRun) -> Envelope:
        record.update({"status": "no-change", "code": f.NO_CHANGE, "summary": run.summary})
        self._save(record, "light.no-change")
        return {"ok": True, "code": f.NO_CHANGE, "intentId": record["intentId"], "intent": run.intent,
                "summary": run.summary}

    def _pending(self, record: dict[str, Any], run: GateRun) -> Envelope:
        actor = "agent" if record["submittedBy"] == "agent" else "light_user"
        shown = self.rt.tx.preview(track="light", kind="light", recipe={"set": run.changes,
                                         "intentId": record["intentId"]}, title=run.summary[:160],
                                         requested_by=actor, requested_role="light_user")
        record.update({"status": "approval-pending", "code": f.APPROVAL_PENDING, "state": "APPROVAL_PENDING",
                       "txId": shown["txId"], "summary": run.summary, "txState": shown["state"]})
        self._save(record, "light.proposed")
        return {"ok": False, "code": f.APPROVAL_PENDING, "txId": shown["txId"], "intentId": record["intentId"],
                "intent": run.intent, "preview": run.artifacts["preview.diff.v1"], "summary": run.summary,
                "approvalId": shown["txId"]}

    def _save(self, record: dict[str, Any], event: str) -> None:
        records.save(self.rt.db, record, self.clock())
        self.rt.store.record([AuditEvent(event_type=event, correlation_id=record["intentId"], role="light_user",
                                         data={"intentId": record["intentId"], "code": record.get("code"),
                                               "submittedBy": record["submittedBy"], "txId": record.get("txId"),
                                               "state": record["state"], "retries": record["retries"]})])

    def _answered(self, record: dict[str, Any], option: int | None, text: str | None) -> dict[str, Any]:
        """The intent re-run from INTENT_NORMALIZED: the chosen option applied, or the answer's words added."""
        parser = record["parser"] if record["parser"] in ("offline", "llm") else "offline"
        base = self._base(record, record["intent"])
        if option is not None:
            choices = record["correction"]["options"]
            if not 1 <= option <= len(choices):
                raise _refuse("light-invalid-request", f"option must be 1..{len(choices)}", "option")
            record["history"].append({"answer": {"option": option}, "failed": record["failure"]["code"]})
            return correction.apply_option(self.vocab, base, record["failure"], choices[option - 1]["change"])
        record["history"].append({"answer": {"text": sanitize_raw(str(text))}, "failed": record["failure"]["code"]})
        words = base["request"]["normalizedText"]
        return self._parse(f"{words} {sanitize_raw(str(text))}", parser, **self._ids(record))

    @staticmethod
    def _ids(record: dict[str, Any]) -> dict[str, Any]:
        return {"intent_id": record["intentId"], "created_at": record["createdAt"], "locale": record["locale"],
                "devices": tuple(record["devices"])}

    def _base(self, record: dict[str, Any], intent: Any) -> dict[str, Any]:
        """The intent corrections build on; a malformed submitted one starts again from its words."""
        if isinstance(intent, dict) and not missing_fields(intent):
            problem = check_schema(intent, self.vocab)
            if problem is None or problem.code == f.E_INTENT_CONSTRAINT_CONFLICT:
                return intent
        return parse(record["text"], self.vocab, **self._ids(record))

    def _undo_changes(self) -> list[Change]:
        applied = self.rt.tx.list_tx(track="light", state="APPLIED")
        if not applied:
            return []
        rows = self.rt.db.query("SELECT inverse FROM tx_commits WHERE tx_id=? AND operation='apply'",
                                (applied[-1]["txId"],))
        ops = [Op.from_dict(d) for d in orjson.loads(rows[0][0])] if rows else []
        return [Change(pointer=op.path, value=None if op.op == "remove" else op.value,
                       reason=undo_reason(self.vocab, op.path, op.value)) for op in ops]

    def _refreshed(self, record: dict[str, Any]) -> dict[str, Any]:
        """G6/G7 from the transaction record: approval recorded → apply.request.v1, READY_FOR_TRANSACTION."""
        tx_id = record.get("txId")
        if not tx_id:
            return record
        tx = self.rt.tx.show(tx_id)
        record["txState"] = tx["state"]
        approval = next((h for h in tx["history"] if h["nextState"] == "APPROVED"), None)
        if approval is not None:
            record["artifacts"]["apply.request.v1"] = apply_request(record, tx, approval)
            record["state"] = "READY_FOR_TRANSACTION"
            record["gates"] = [g for g in record["gates"] if not g.startswith(("G6", "G7"))] + [
                "G6_APPROVAL_REQUIRED", "G7_TRANSACTION_HANDOFF"]
            record["status"] = {"APPLIED": "applied", "ROLLED_BACK": "rolled-back"}.get(tx["state"], "approved")
        elif tx["state"] == "REJECTED":
            record["status"] = "rejected"
        return record
