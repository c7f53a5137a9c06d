"""Finding 1: approval is decided by what a dispatch writes, not by its command's label.

``nextPage`` is a ``sync`` command (not gated), but on the last page it appends a page to the
document. As a student or agent that must be queued like any gated command. Plus per-role
rate limits, pending quotas and payload limits with coded refusals.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from modgate.app import open_runtime
from modgate.bus import Bus
from modgate.bus_memory import MemoryBusStore
from modgate.host import get_host
from modgate.limits import RoleLimits
from modgate.mcp_server import Gateway


@pytest.mark.parametrize("role", ["agent", "student"])
def test_next_page_on_the_last_page_is_queued(modgate_home: Path, role: str) -> None:
    rt = open_runtime(modgate_home)
    try:
        before = rt.store.state()["doc"]
        outs = [rt.bus.dispatch("nextPage", role=role) for _ in range(3)]
        assert [o["code"] for o in outs] == ["approval-required"] * 3
        assert rt.store.state()["doc"] == before  # the document did not change without approval
        assert rt.host.commands["nextPage"].requires_approval is False  # the catalog label stays
        approved = rt.bus.approve(outs[0]["approvalId"])
        assert approved["ok"], approved
        assert len(rt.store.state()["doc"]["pageOrder"]) == 2
    finally:
        rt.close()


def test_next_page_within_the_document_is_not_gated(modgate_home: Path) -> None:
    rt = open_runtime(modgate_home)
    try:
        assert rt.bus.dispatch("addPage")["ok"]  # the host: two pages, on the second
        assert rt.bus.dispatch("goToPage", {"pageId": rt.store.state()["doc"]["pageOrder"][0]}, role="agent")["ok"]
        out = rt.bus.dispatch("nextPage", role="agent")
        assert out["ok"] and out["result"]["appended"] is False
    finally:
        rt.close()


def test_over_mcp_the_agent_cannot_append_pages(modgate_home: Path) -> None:
    rt = open_runtime(modgate_home)
    try:
        gateway = Gateway(rt)
        bodies = [gateway.call("nextPage", {})["body"] for _ in range(3)]
        assert all(b["code"] == "approval-required" for b in bodies)
        assert len(rt.store.state()["doc"]["pageOrder"]) == 1
    finally:
        rt.close()


def _bus(**limits: RoleLimits) -> Bus:
    host = get_host("board")
    return Bus(host, MemoryBusStore(host.initial_state()), limits={"host": RoleLimits(), **limits})


def test_rate_limit_per_role() -> None:
    bus = _bus(agent=RoleLimits(per_minute=5))
    outs = [bus.dispatch("setTool", {"tool": "pen"}, role="agent") for _ in range(6)]
    assert [o["ok"] for o in outs] == [True] * 5 + [False]
    assert outs[-1]["code"] == "rate-limited"
    assert bus.dispatch("setTool", {"tool": "pen"}, role="host")["ok"]  # the host is not starved


def test_pending_quota_per_role(modgate_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODGATE_LIMITS", '{"student": {"maxPending": 3}}')
    rt = open_runtime(modgate_home)
    try:
        outs = [rt.bus.dispatch("addPage", role="student") for _ in range(4)]
        assert [o["code"] for o in outs] == ["approval-required"] * 3 + ["approval-quota-exceeded"]
        assert len(rt.approvals.items("pending")) == 3
        assert rt.bus.dispatch("addPage", role="agent")["code"] == "approval-required"  # per role
    finally:
        rt.close()


def test_payload_limit_per_role() -> None:
    bus = _bus(agent=RoleLimits(max_payload_bytes=1000))
    out = bus.dispatch("setTool", {"tool": "p" * 5000}, role="agent")
    assert out["code"] == "payload-too-large" and out["path"] == "payload"
