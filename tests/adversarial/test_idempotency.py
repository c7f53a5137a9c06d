"""Finding 6: one idempotency key executes once, across processes and through the approval queue."""

from __future__ import annotations

from pathlib import Path

from tests.adversarial.helpers import run_together

from modgate.app import open_runtime

SAME_KEY = """
import sys
from modgate.app import open_runtime
rt = open_runtime(sys.argv[1])
out = rt.bus.dispatch("addPage", role="host", idempotency_key=sys.argv[2])
assert out["ok"], out
print(out.get("deduped", False))
"""


def test_concurrent_dispatches_with_one_key_execute_once(modgate_home: Path, tmp_path: Path) -> None:
    open_runtime(modgate_home).close()
    for round_no in range(5):
        results = run_together(SAME_KEY, [str(modgate_home), f"key-{round_no}"], 4, tmp_path / "go")
        assert all(rc == 0 for rc, _, _ in results), [e for _, _, e in results if e][:1]
        assert sorted(out.strip() for _, out, _ in results) == ["False", "True", "True", "True"]
    rt = open_runtime(modgate_home)
    try:
        assert len(rt.store.state()["doc"]["pageOrder"]) == 1 + 5
    finally:
        rt.close()


def test_a_students_retry_replays_instead_of_queueing_again(modgate_home: Path) -> None:
    rt = open_runtime(modgate_home)
    try:
        first = rt.bus.dispatch("addPage", role="student", idempotency_key="k1")
        again = rt.bus.dispatch("addPage", role="student", idempotency_key="k1")
        assert first["code"] == again["code"] == "approval-required"
        assert again["approvalId"] == first["approvalId"] and again.get("deduped") is True
        assert len(rt.approvals.items("pending")) == 1
        assert rt.bus.approve(first["approvalId"])["ok"]
        after = rt.bus.dispatch("addPage", role="student", idempotency_key="k1")
        assert after["ok"] and after["code"] == "executed" and after["deduped"] is True, after
        assert after["approvalId"] == first["approvalId"]
        assert len(rt.store.state()["doc"]["pageOrder"]) == 2
        assert rt.approvals.items("pending") == []
    finally:
        rt.close()


SAME_KEY_STUDENT = """
import sys
from modgate.app import open_runtime
rt = open_runtime(sys.argv[1])
out = rt.bus.dispatch("addPage", role="agent", idempotency_key=sys.argv[2])
assert out["code"] == "approval-required", out
print(out["approvalId"])
"""


def test_concurrent_agent_retries_queue_one_item(modgate_home: Path, tmp_path: Path) -> None:
    open_runtime(modgate_home).close()
    for round_no in range(3):
        results = run_together(SAME_KEY_STUDENT, [str(modgate_home), f"a-{round_no}"], 4, tmp_path / "go")
        assert all(rc == 0 for rc, _, _ in results), [e for _, _, e in results if e][:1]
        assert len({out.strip() for _, out, _ in results}) == 1
