"""Random sequences of requests, approvals, undos and rollbacks: always a documented outcome, and every
approved light change can be rolled back to the exact state before it."""

from __future__ import annotations

import tempfile

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.light_corpus import load

from modgate.app import open_runtime
from modgate.errors import ModgateError
from modgate.light.failures import OUTCOMES
from modgate.light.service import LightService

TEXTS = sorted({c.text for c in load()} | {"undo that", "reset my pen", "reset everything", "remove the eraser button",
                                           "rename the eraser button to Rubber", "add an eraser button"})
STEP = st.tuples(st.sampled_from(TEXTS), st.sampled_from(["approve", "reject", "leave", "approve+rollback"]))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(STEP, min_size=1, max_size=8))
def test_random_sessions(steps: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as home:
        rt = open_runtime(home)
        try:
            svc = LightService(rt)
            for text, decision in steps:
                out = svc.propose(text)
                assert out["code"] in OUTCOMES
                if out["code"] != "approval-pending" or decision == "leave":
                    continue
                if decision == "reject":
                    rt.approvals.reject(out["txId"], "host", "no")
                    continue
                before = orjson.dumps(rt.store.state(), option=orjson.OPT_SORT_KEYS)
                try:
                    applied = rt.approvals.approve(out["txId"], "host")
                except ModgateError as exc:  # e.g. a stale base after another approval: coded, never a crash
                    assert exc.code.startswith("tx-")
                    continue
                if not applied["ok"]:  # another approved change moved the base: a fresh preview waits
                    assert applied["code"] == "tx-stale-base", applied
                    continue
                if decision == "approve+rollback":
                    rt.tx.rollback(out["txId"])
                    assert orjson.dumps(rt.store.state(), option=orjson.OPT_SORT_KEYS) == before
        finally:
            rt.close()
