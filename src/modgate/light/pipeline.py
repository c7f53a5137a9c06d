"""The gates G0-G5 of seed 003, in order, over one intent and one state. Pure: nothing is written.

``run_gates(intent, ctx)`` → :class:`GateRun`: the state reached, the gates passed, the artifacts
made so far, and either a :class:`Failure` or the ``set`` map a light transaction will carry.
G6 (approval) and G7 (handoff) belong to the transaction protocol: see :mod:`modgate.light.service`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from modgate.host.model import Host
from modgate.light import artifacts as a
from modgate.light import failures as f
from modgate.light import resolve, shortcuts
from modgate.light.failures import Failure
from modgate.light.intent import check_role, check_schema, normalize
from modgate.light.layout_check import check_layout, lock_code
from modgate.light.resolve import Change
from modgate.light.summary import metric_sentence
from modgate.light.vocab import LightVocabulary
from modgate.light.words import devices_words
from modgate.state import MISSING, JsonObject, Op, apply_ops, get_path

LOW_CONFIDENCE = 0.5
SPECIAL = ("light.undo", "light.changes")


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    host: Host
    vocab: LightVocabulary
    state: JsonObject
    # the changes that undo the last applied light change ("undo that"), looked up by the caller
    undo: list[Change] | None = None


@dataclass(slots=True)
class GateRun:
    intent: JsonObject
    state: str = "INTENT_CAPTURED"
    gates: list[str] = field(default_factory=list)
    artifacts: dict[str, JsonObject] = field(default_factory=dict)
    failure: Failure | None = None
    planned: list[Change] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)
    summary: str = ""

    def passed(self, gate: str, state: str | None = None) -> None:
        self.gates.append(gate)
        if state:
            self.state = state


def run_gates(intent: JsonObject, ctx: Context) -> GateRun:
    run = GateRun(intent=intent)
    failure = check_role(intent)
    if failure:
        return _fail(run, failure)
    run.intent = normalize(intent, ctx.vocab)
    run.state = "INTENT_NORMALIZED"
    run.artifacts["intent.normalized.v1"] = run.intent
    run.passed("G0_ROLE_MODE_CHECK")
    for step in (_g1, _g2, _g3, _g4, _g5):
        failure = step(run, ctx)
        if failure:
            return _fail(run, failure)
    return run


def _fail(run: GateRun, failure: Failure) -> GateRun:
    run.failure = failure
    return run


def _metrics(run: GateRun) -> list[JsonObject]:
    found: list[JsonObject] = run.intent["successCriteria"].get("metrics") or []
    return found


def _g1(run: GateRun, ctx: Context) -> Failure | None:
    failure = check_schema(run.intent, ctx.vocab)
    if failure is None:
        run.passed("G1_INTENT_SCHEMA_CHECK", "INTENT_VALIDATED")
    return failure


def _known(metric: str, ctx: Context) -> bool:
    if ctx.vocab.pref(metric) is not None or metric in SPECIAL or metric in ("reset", "denied"):
        return True
    if metric.startswith("layout."):
        return ctx.vocab.layout_field(metric.split(".", 1)[1]) is not None
    return metric in ("shortcut.add", "shortcut.remove", "shortcut.rename") or metric.startswith("entity.")


DENIED_WORDS = {"approvals": "Approvals always stay with a person; a request cannot approve itself or switch"
                " them off.", "roles": "Roles and permissions cannot be changed from here.",
                "code": "Installing or running programs is not something a light request can do.",
                "content": "This changes how the board works for you, not what is on your pages. Edit the pages"
                " on the board itself.", "touch targets": "Buttons must stay at least 44 pixels so they are"
                " easy to tap; they cannot be made smaller."}


def _g2(run: GateRun, ctx: Context) -> Failure | None:
    gate = "G2_POLICY_PRECHECK"
    for metric in _metrics(run):
        if metric["metric"] == "denied" or not _known(metric["metric"], ctx):
            what = str(metric.get("value"))
            message = DENIED_WORDS.get(what, "The button that reopens panels and the close control must always"
                                       " stay visible, so they cannot be hidden or removed." if what.startswith(
                                           "hide ") else "That is not something a light request can change.")
            detail = {"denied": what}
            code = lock_code(what, run.intent["constraints"]["deviceTargets"])
            if code is not None:  # the task 252 resolver's own verdict on the same request
                detail["adaptCode"] = code
            return Failure(code=f.E_POLICY_DENIED, gate=gate, message=message, detail=detail)
    run.passed(gate)
    return None


def _g3(run: GateRun, ctx: Context) -> Failure | None:
    gate = "G3_DRAFT_BUILD"
    metrics = _metrics(run)
    language = next((n.split(": ", 1)[1] for n in run.intent.get("notes", []) if n.startswith("language: ")), None)
    if run.intent["confidence"] < LOW_CONFIDENCE or not metrics:
        message = (f"This looks like {language}, and I can only read English requests so far. Please ask in English."
                   if language else "I could not tell what you would like to change. Pick one of these, or say it"
                   " another way.")
        return Failure(code=f.E_LOW_CONFIDENCE_PARSE, gate=gate, message=message,
                       detail={"confidence": run.intent["confidence"], "language": language})
    asking = next((m for m in metrics if m["operator"] == "ask"), None)
    if asking is not None:
        return Failure(code=f.E_INTENT_REQUIRED_FIELD_MISSING, gate=gate, metric=asking["metric"],
                       message=_ask_message(ctx, asking["metric"]))
    package = None
    run.artifacts["manifest.draft.v1"] = a.manifest_draft(run.intent, ctx.vocab.host_id, metrics, package)
    run.passed(gate, "MANIFEST_DRAFTED")
    run.state = "POLICY_DRAFTED"
    return None


def _ask_message(ctx: Context, metric: str) -> str:
    if metric.startswith("entity."):
        return f"What would you like to change about the {metric.split('.', 1)[1].replace('_', ' ')}?"
    if metric.startswith("shortcut."):
        return "Which button would you like? Pick one of these."
    return metric_sentence(ctx.vocab, {"metric": metric, "operator": "ask"}).rstrip(".") + \
        " — to what? Pick one of these."


def _g4(run: GateRun, ctx: Context) -> Failure | None:
    work = ctx.state
    changes: list[Change] = []
    package: JsonObject | None = None
    devices = run.intent["constraints"]["deviceTargets"]
    layout: dict[str, Any] | None = None
    for metric in _metrics(run):
        found = _resolve(metric, ctx, work, devices)
        if not isinstance(found, Failure) and metric["metric"].startswith("layout."):
            after = apply_ops(work, [Op("add", c.pointer, c.value) for c in found])
            problem, layout = check_layout(work, after, devices, metric["metric"])
            found = problem or found
        if isinstance(found, Failure):
            run.artifacts["dryrun.report.v1"] = a.dryrun_report(run.intent, "denied" if found.code ==
                                                                f.E_POLICY_DENIED else "conflict",
                                                                _checks(changes, False), [], [found.message])
            return found
        for change in found:
            if change.pointer.startswith("/registry/"):  # None when an undo removes the module again
                package = change.value.get("package") if isinstance(change.value, dict) else None
        changes.extend(found)
        work = apply_ops(work, [Op("remove", c.pointer) if c.value is None else Op("add", c.pointer, c.value)
                                for c in found if c.value is not None or get_path(work, c.pointer) is not MISSING])
    pointers = sorted({c.pointer for c in changes})
    manifest = run.artifacts["manifest.draft.v1"]
    manifest["shortcutsPackage"] = package
    run.artifacts["policy.draft.v1"] = a.policy_draft(run.intent, pointers)
    run.artifacts["dryrun.report.v1"] = a.dryrun_report(run.intent, "ok", _checks(changes, True),
                                                        _warnings(run, ctx), [])
    if layout is not None:
        run.artifacts["dryrun.report.v1"]["layout"] = layout  # responsive.adaptation.v1 after the change
    run.planned = changes
    run.passed("G4_DRY_RUN_REQUIRED", "DRY_RUN_EXECUTED")
    return None


def _resolve(metric: JsonObject, ctx: Context, work: JsonObject, devices: list[str]) -> list[Change] | Failure:
    name = metric["metric"]
    if name == "light.undo":
        return list(ctx.undo or [])
    if name == "light.changes":
        return []
    if name == "reset":
        return resolve.run_reset(ctx.host, ctx.vocab, work, str(metric.get("value", "all")))
    if name.startswith("layout."):
        return resolve.run_layout(ctx.host, ctx.vocab, work, metric, devices)
    if name.startswith("shortcut."):
        edited = shortcuts.edit(ctx.host, ctx.vocab, work, metric)
        if edited is None or isinstance(edited, Failure):
            return edited or []
        change = shortcuts.package_change(ctx.host, ctx.vocab, edited[0], edited[1], work)
        return change if isinstance(change, Failure) else [change]
    return resolve.run_pref(ctx.host, ctx.vocab, work, metric)


def _checks(changes: list[Change], ok: bool) -> list[JsonObject]:
    return [{"name": "values accepted by the board's own rules", "passed": ok},
            {"name": "nothing written during the dry run", "passed": True},
            {"name": "changes go through the command bus and a transaction", "passed": True},
            {"name": "changes planned", "passed": ok, "count": len(changes)}]


def _warnings(run: GateRun, ctx: Context) -> list[str]:
    devices = run.intent["constraints"]["deviceTargets"]
    layout = any(m["metric"].startswith("layout.") for m in _metrics(run))
    if devices and not layout:
        return [f"You mentioned {devices_words(devices)}; this setting is the same on every device, so it applies"
                " everywhere."]
    return []


def _g5(run: GateRun, ctx: Context) -> Failure | None:
    first: list[JsonObject] = []
    try:  # a second build from JSON round-tripped values: any value that is not plain JSON shows up here
        first = a.diff_changes(ctx.state, run.planned)
        again = [Change(pointer=c.pointer, value=orjson.loads(orjson.dumps(c.value)), reason=c.reason)
                 for c in run.planned]
        stable = orjson.dumps(first, option=orjson.OPT_SORT_KEYS) == orjson.dumps(
            a.diff_changes(ctx.state, again), option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        stable = False
    if not stable:
        return Failure(code=f.E_DIFF_UNSTABLE, gate="G5_DIFF_REQUIRED", message="The preview came out differently"
                       " twice, so it cannot be trusted. Please say the change again, more exactly.")
    run.artifacts["preview.diff.v1"] = a.preview_diff(run.intent, first)
    run.changes = {e["path"]: e["after"] for e in first}
    run.summary = summary(run, ctx)
    run.passed("G5_DIFF_REQUIRED", "DIFF_PREVIEW_READY")
    return None


def summary(run: GateRun, ctx: Context) -> str:
    base = run.intent["request"]["goalSummary"]
    if not run.changes:
        return "Nothing to change: it is already like that."
    devices = run.intent["constraints"]["deviceTargets"]
    layout = any(m["metric"].startswith("layout.") for m in _metrics(run))
    if layout:
        return f"{base} This applies on {devices_words(devices)}."
    if devices:
        return f"{base} You mentioned {devices_words(devices)}: this is the same on every device, so it applies" \
               " everywhere."
    return f"{base} This applies on every device."
