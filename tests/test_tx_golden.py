"""Golden cases for the tx-* codes: each scenario provokes exactly its code."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.clihelp import run

from modgate import tx as txapi
from modgate.app import Runtime, open_runtime
from modgate.errors import ModgateError, Problem

CASES = sorted((Path(__file__).parent / "cases" / "tx").glob("*.json"))
PEN = [{"op": "replace", "path": "/local/tool/penColor", "value": "#000000"}]


def _approved(rt: Runtime) -> tuple[str, str]:
    tx_id = txapi.preview(rt, PEN)["txId"]
    return tx_id, txapi.approve(rt, tx_id)["approvalToken"]


def _applied(rt: Runtime) -> str:
    tx_id, token = _approved(rt)
    txapi.apply(rt, tx_id, token)
    return tx_id


def _blocked(rt: Runtime) -> None:
    tx_id, token = _approved(rt)

    def escape(state: dict[str, Any]) -> Problem:
        rt.db.conn.execute("UPDATE state_domains SET revision=revision+1 WHERE domain='local'")
        rt.db.conn.execute("COMMIT")
        rt.db.conn.execute("BEGIN IMMEDIATE")
        return Problem(code="capability-policy-violation", path="capabilities", message="policy")

    with pytest.raises(ModgateError):
        rt.tx.apply(tx_id, approval_token=token, checks=[escape])
    other, token2 = _approved(rt)
    txapi.apply(rt, other, token2)


def _expired(rt: Runtime) -> None:
    tx_id = txapi.preview(rt, PEN)["txId"]
    token = txapi.approve(rt, tx_id, ttl_s=1)["approvalToken"]
    real = rt.tx.clock
    rt.tx.clock = lambda: real() + 5
    txapi.apply(rt, tx_id, token)


def _superseded(rt: Runtime) -> str:
    tx_id, _ = _approved(rt)
    rt.tx.refresh(tx_id)
    history = rt.tx.show(tx_id)["history"]
    return next(h["code"] for h in history if h["code"])


def _not_approved(rt: Runtime) -> str:
    tx_id = txapi.preview(rt, PEN)["txId"]
    _code, out, _ = run("tx", "apply", tx_id, "--json")
    return str(json.loads(out)["code"])


def _rejected(rt: Runtime) -> str:
    from unittest import mock

    import modgate.cli.heavy as mods

    shown = txapi.preview(rt, PEN)
    with mock.patch.object(mods, "_interactive", return_value=True), \
            mock.patch.object(mods.click, "confirm", return_value=False):
        result = mods._decide(rt, shown, False, False)
    assert rt.tx.show(shown["txId"])["state"] == "REJECTED"
    return str(result["code"]) if result else ""


def _state_conflict(rt: Runtime) -> str:
    tx_id = txapi.preview(rt, PEN)["txId"]
    stale = rt.tx._row(tx_id)  # read, then another process rejects it meanwhile
    rt.tx.reject(tx_id)
    with rt.db.atomic() as conn:
        rt.tx.transition(conn, stale, "APPROVED", actor=("host", "host"), stage="approval")
    return "no conflict"


def _managed(rt: Runtime) -> str:
    from ext_helpers import sample_files, write_package
    from modgate.ext.installer import Installer

    src = write_package(rt.home / "pkg", sample_files())
    tx_id = Installer(rt.tx, rt.home).install(str(src), host="codexchat", consent=lambda _: True)["txId"]
    assert rt.tx.show(tx_id)["track"] == "extension"
    txapi.rollback(rt, tx_id)
    return "rolled back"


SCENARIOS: dict[str, Callable[[Runtime], Any]] = {
    "tx-not-found": lambda rt: rt.tx.show("tx-404"),
    "tx-invalid-transition": lambda rt: txapi.approve(rt, _applied(rt)),
    "tx-unknown-kind": lambda rt: rt.tx.preview(track="light", kind="teleport", recipe={}, title="x"),
    "tx-invalid-change": lambda rt: txapi.preview(rt, [{"op": "copy", "path": "/local/x"}]),
    "tx-approver-not-allowed": lambda rt: rt.tx.approve(txapi.preview(rt, PEN)["txId"], approver_role="student"),
    "tx-preview-mismatch": lambda rt: txapi.approve(rt, txapi.preview(rt, PEN)["txId"], preview_hash="sha256:00"),
    "tx-token-invalid": lambda rt: txapi.apply(rt, _approved(rt)[0], "not-a-token"),
    "tx-token-mismatch": lambda rt: txapi.apply(rt, _approved(rt)[0], _approved(rt)[1]),
    "tx-approval-expired": _expired,
    "tx-not-approved": _not_approved,
    "tx-stale-base": lambda rt: (lambda t: (rt.bus.dispatch("setPenWidth", {"width": 2}), txapi.apply(rt, *t)))(
        _approved(rt)),
    "tx-already-applied": lambda rt: (lambda t: (txapi.apply(rt, *t), txapi.apply(rt, *t)))(_approved(rt)),
    "tx-idempotency-conflict": lambda rt: (lambda a, b: (txapi.apply(rt, *a, idempotency_key="k"),
                                                          txapi.apply(rt, *b, idempotency_key="k")))(
        _approved(rt), _approved(rt)),
    "tx-blocked": _blocked,
    "tx-not-applied": lambda rt: txapi.rollback(rt, txapi.preview(rt, PEN)["txId"]),
    "tx-rollback-conflict": lambda rt: (lambda t: (rt.bus.dispatch("setPenColor", {"color": "#111111"}),
                                                   txapi.rollback(rt, t)))(_applied(rt)),
    "tx-preview-superseded": _superseded,
    "tx-rejected": _rejected,
    "tx-state-conflict": _state_conflict,
    "tx-managed-kind": _managed,
}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_tx_case(path: Path, modgate_home: Path) -> None:
    case = json.loads(path.read_text())
    rt = open_runtime(modgate_home)
    try:
        try:
            got = SCENARIOS[case["scenario"]](rt)
        except ModgateError as exc:
            got = exc.code
        assert got == case["code"]
    finally:
        rt.close()


def test_every_tx_code_has_a_scenario() -> None:
    from modgate.codes import TX

    assert set(TX) == {json.loads(p.read_text())["code"] for p in CASES} == set(SCENARIOS)
