"""Controlled fixtures (task 258 drills): the paths real traffic rarely takes, recorded as evidence.

Every case runs inside :func:`modgate.evidence.fixture`, so each audit event it writes carries
``evidenceChannel: controlled_fixture`` with the run id, its case id and the outcome it expects;
the drill then checks the outcome it actually got. Suites:

- ``heavy``: valid packages imported (validated, previewed, approved, applied) and invalid ones
  rejected with their pinned first code and path (fixtures/heavy-valid.json, heavy-invalid.json);
- ``rollback``: planned rollback drills of a heavy module action writing shared state;
- ``capability-reject``: the module's grant is revoked between approval and apply, so the apply's
  capability guard refuses after the partial apply and forces the rollback;
- ``light``: light requests across the three device classes (when the light track is installed).

Everything goes through the same library calls as real use (no shortcut writes).
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

from modgate import evidence
from modgate.errors import ModgateError

if TYPE_CHECKING:
    from modgate.app import Runtime

SUITES = ("rollback", "capability-reject", "light", "heavy")
APPROVER = "signoff-drill"
WRITER, CAPABILITY = "drill-writer", "state.write.tx"
VALID_ROUNDS, ROLLBACK_DRILLS, CAPABILITY_DRILLS = 6, 12, 4


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseResult:
    suite: str
    case_id: str
    expected: str
    outcome: str

    @property
    def ok(self) -> bool:
        return self.outcome in self.expected.split("|")  # ``a|b``: either outcome is the right one

    def to_dict(self) -> dict[str, Any]:
        return {"suite": self.suite, "caseId": self.case_id, "expectedOutcome": self.expected,
                "outcome": self.outcome, "ok": self.ok}


def fixture_json(name: str) -> Any:
    return json.loads(resources.files("modgate.signoff").joinpath("fixtures", name).read_text(encoding="utf-8"))


def new_run_id(now: float) -> str:
    return f"drill-{datetime.fromtimestamp(now, UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


class Drill:
    def __init__(self, rt: Runtime, run_id: str) -> None:
        self.rt = rt
        self.run_id = run_id
        self.results: list[CaseResult] = []
        self.skipped: list[str] = []

    def case(self, suite: str, case_id: str, expected: str, body: Callable[[], str]) -> None:
        """Run ``body`` as one fixture case; a coded refusal is its outcome (``error:<code>``)."""
        fx = evidence.Fixture(fixture_run_id=self.run_id, fixture_case_id=case_id, expected_outcome=expected)
        with evidence.fixture(fx):
            try:
                outcome = body()
            except ModgateError as exc:
                outcome = f"error:{exc.problem.code}"
        self.results.append(CaseResult(suite=suite, case_id=case_id, expected=expected, outcome=outcome))

    # -- shared steps -------------------------------------------------------------------------
    def approve_apply(self, shown: dict[str, Any]) -> dict[str, Any]:
        token = self.rt.tx.approve(shown["txId"], preview_hash=shown["previewHash"], approver_id=APPROVER)
        return self.rt.tx.apply(shown["txId"], approval_token=token["approvalToken"])

    def import_package(self, data: bytes) -> str:
        from modgate.modules.importing import check_import, preview_import

        outcome = check_import(self.rt, data)
        if outcome.problem is not None or outcome.package is None:
            return f"rejected:{outcome.envelope['code']}@{outcome.envelope['path']}"
        shown = preview_import(self.rt, outcome.package, requested_by=APPROVER)
        return "valid" if self.approve_apply(shown).get("ok") else "apply-failed"

    def ensure_writer(self) -> None:
        """The drill module is registered and holds a persistent grant to write shared state."""
        from modgate.modules.registry import modules

        if WRITER not in modules(self.rt.store.state()):
            package = next(p for p in fixture_json("heavy-valid.json")["packages"] if p["moduleId"] == WRITER)
            self.case("setup", f"setup-{WRITER}", "valid", lambda: self.import_package(json.dumps(package).encode()))
        self.grant()

    def grant(self) -> None:
        from modgate import caps
        from modgate.caps import store as caps_store
        from modgate.modules.registry import modules

        version = modules(self.rt.store.state())[WRITER]["moduleVersion"]
        caps_store.grant(self.rt.db, caps.Grant(
            module_id=WRITER, module_version=version, capability_id=CAPABILITY, grant_scope="persistent",
            approver_id=APPROVER, approver_role="host", granted_at=time.time()))

    def writer_action(self) -> dict[str, Any]:
        from modgate.modules.actions import run_module_action

        outcome = run_module_action(self.rt, module_id=WRITER, command_id="setColumnCount", payload={"count": 3},
                                    role="host", title="drill: set the column count")
        if outcome.pending is None:
            raise ModgateError.make("drill-failed", "the drill action did not become a transaction", "action")
        return outcome.pending


def heavy(d: Drill) -> None:
    packages = fixture_json("heavy-valid.json")["packages"]
    for round_no in range(VALID_ROUNDS):
        for package in packages:
            data = json.dumps(package).encode()
            d.case("heavy", f"heavy-valid-{package['moduleId']}-{round_no + 1}", "valid",
                   lambda data=data: d.import_package(data))  # type: ignore[misc]
    spec = fixture_json("heavy-invalid.json")
    base = next(p for p in packages if p["moduleId"] == spec["base"])
    for case in spec["cases"]:
        data = mutated(base, case)
        d.case("heavy", f"heavy-invalid-{case['caseId']}", f"rejected:{case['expectedCode']}@{case['expectedPath']}",
               lambda data=data: d.import_package(data))  # type: ignore[misc]


def mutated(base: dict[str, Any], case: dict[str, Any]) -> bytes:
    """The invalid package bytes of a heavy-invalid fixture case."""
    if "raw" in case:
        return str(case["raw"]).encode()
    package = copy.deepcopy(base)
    for path in case.get("delete", []):
        del _parent(package, path)[path[-1]]
    for path, value in case.get("set", []):
        _parent(package, path)[path[-1]] = value
    return json.dumps(package).encode()


def _parent(doc: Any, path: list[Any]) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


def rollback(d: Drill) -> None:
    d.ensure_writer()

    def one() -> str:
        shown = d.writer_action()
        d.approve_apply(shown)
        return str(d.rt.tx.rollback(shown["txId"], reason="planned rollback drill", requested_by=APPROVER)["code"]
                   ).replace("rolled-back", "rolled_back")

    for i in range(ROLLBACK_DRILLS):
        d.case("rollback", f"rollback-planned-{i + 1}", "rolled_back", one)


def capability_reject(d: Drill) -> None:
    from modgate.caps import store as caps_store

    d.ensure_writer()

    def one() -> str:
        shown = d.writer_action()
        token = d.rt.tx.approve(shown["txId"], preview_hash=shown["previewHash"], approver_id=APPROVER)
        caps_store.revoke(d.rt.db, WRITER, CAPABILITY)  # taken away between approval and apply
        try:
            d.rt.tx.apply(shown["txId"], approval_token=token["approvalToken"])
        except ModgateError as exc:
            return str(exc.problem.detail.get("outcome", f"error:{exc.problem.code}"))
        finally:
            d.grant()
        return "applied"

    for i in range(CAPABILITY_DRILLS):
        d.case("capability-reject", f"capability-reject-after-partial-apply-{i + 1}", "rolled_back", one)


def light(d: Drill) -> None:
    from modgate.signoff import light_drill

    light_drill.run(d)


RUNNERS: dict[str, Callable[[Drill], None]] = {"heavy": heavy, "rollback": rollback,
                                               "capability-reject": capability_reject, "light": light}


def run(rt: Runtime, suites: tuple[str, ...], run_id: str) -> Drill:
    """Run ``suites`` (in the order of :data:`SUITES`) against ``rt``."""
    drill = Drill(rt, run_id)
    for name in SUITES:
        if name in suites:
            RUNNERS[name](drill)
    return drill
