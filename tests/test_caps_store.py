"""Capability grants in SQLite: migration, grant/revoke with audit in the same transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from modgate import caps
from modgate.app import Runtime, open_runtime
from modgate.auditevent import AuditEvent
from modgate.caps import Grant
from modgate.caps import store as caps_store
from modgate.errors import ModgateError
from modgate.store import audit


@pytest.fixture
def rt() -> Iterator[Runtime]:
    runtime = open_runtime()
    yield runtime
    runtime.close()


def _grant(**kw: Any) -> Grant:
    fields: dict[str, Any] = {"module_id": "geo-tools", "module_version": "1.0.0", "capability_id": "state.read",
                              "grant_scope": "persistent", "approver_id": "alice", "approver_role": "host",
                              "granted_at": 100.0}
    fields.update(kw)
    return Grant(**fields)


def _events(rt: Runtime) -> list[dict[str, Any]]:
    return [e for e in audit.recent(rt.db, 100) if e["eventType"].startswith("capability.")]


def test_migration_is_registered(rt: Runtime) -> None:
    names = {row[0] for row in rt.db.query("SELECT name FROM schema_migrations")}
    assert "0300_capability_grants" in names


def test_grant_is_stored_and_audited(rt: Runtime) -> None:
    record = caps_store.grant(rt.db, _grant(), now=100.0)
    assert caps_store.active_grants(rt.db, "geo-tools") == [_grant()]
    [event] = _events(rt)
    assert event["eventType"] == "capability.escalation.approved" and event["data"] == record
    assert record["grantScope"] == "persistent" and record["decisionReasonCode"] == "approve_persistent"
    assert audit.verify(rt.db)["ok"]


def test_regrant_replaces_the_same_identity(rt: Runtime) -> None:
    caps_store.grant(rt.db, _grant(grant_scope="session", session_id="s1"), now=100.0)
    caps_store.grant(rt.db, _grant(grant_scope="session", session_id="s2", granted_at=200.0), now=200.0)
    [only] = caps_store.active_grants(rt.db, "geo-tools")
    assert only.session_id == "s2" and only.granted_at == 200.0


def test_identity_includes_version_scope_and_approver(rt: Runtime) -> None:
    for g in (_grant(), _grant(module_version="1.1.0"), _grant(approver_id="bob"),
              _grant(grant_scope="session", session_id="s1")):
        caps_store.grant(rt.db, g, now=100.0)
    assert len(caps_store.active_grants(rt.db, "geo-tools")) == 4


def test_extra_events_share_the_transaction(rt: Runtime) -> None:
    extra = AuditEvent(event_type="capability.escalation.requested", correlation_id="esc-1", data={"x": 1})
    caps_store.grant(rt.db, _grant(), [extra], now=100.0, correlation_id="esc-1")
    assert [e["eventType"] for e in _events(rt)] == ["capability.escalation.requested",
                                                     "capability.escalation.approved"]
    assert {e["correlationId"] for e in _events(rt)} == {"esc-1"}


def test_store_refuses_unknown_capability(rt: Runtime) -> None:
    with pytest.raises(ModgateError, match="capability-unknown-id"):
        caps_store.grant(rt.db, _grant(capability_id="state.*"), now=100.0)
    assert caps_store.list_grants(rt.db) == [] and _events(rt) == []


def test_revoke_marks_every_matching_grant_and_audits(rt: Runtime) -> None:
    caps_store.grant(rt.db, _grant(), now=100.0)
    caps_store.grant(rt.db, _grant(module_version="0.9.0"), now=100.0)
    caps_store.grant(rt.db, _grant(capability_id="ui.slot.render"), now=100.0)
    revoked = caps_store.revoke(rt.db, "geo-tools", "state.read", now=300.0)
    assert [g.module_version for g in revoked] == ["0.9.0", "1.0.0"]
    assert [g.capability_id for g in caps_store.active_grants(rt.db, "geo-tools")] == ["ui.slot.render"]
    statuses = {(g["moduleVersion"], g["capabilityId"]): (g["status"], g["revokedAt"])
                for g in caps_store.list_grants(rt.db, "geo-tools")}
    assert statuses[("1.0.0", "state.read")] == ("revoked", 300.0)
    revoked_events = [e for e in _events(rt) if e["eventType"] == "capability.grant.revoked"]
    assert len(revoked_events) == 2 and revoked_events[0]["data"]["decisionReasonCode"] == "grant-revoked"


def test_revoke_can_be_narrowed(rt: Runtime) -> None:
    caps_store.grant(rt.db, _grant(), now=100.0)
    caps_store.grant(rt.db, _grant(approver_id="bob"), now=100.0)
    caps_store.revoke(rt.db, "geo-tools", "state.read", approver_id="bob", now=300.0)
    assert [g.approver_id for g in caps_store.active_grants(rt.db, "geo-tools")] == ["alice"]


def test_revoke_nothing_is_a_coded_error_and_writes_nothing(rt: Runtime) -> None:
    with pytest.raises(ModgateError) as info:
        caps_store.revoke(rt.db, "geo-tools", "state.read")
    assert info.value.code == "capability-grant-not-found"
    assert _events(rt) == []


def test_regrant_after_revoke_is_active_again(rt: Runtime) -> None:
    caps_store.grant(rt.db, _grant(), now=100.0)
    caps_store.revoke(rt.db, "geo-tools", "state.read", now=200.0)
    caps_store.grant(rt.db, _grant(granted_at=300.0), now=300.0)
    assert [g["status"] for g in caps_store.list_grants(rt.db)] == ["active"]


def test_list_reports_expiry(rt: Runtime) -> None:
    caps_store.grant(rt.db, _grant(expires_at=150.0), now=100.0)
    assert caps_store.list_grants(rt.db, now=149.0)[0]["status"] == "active"
    assert caps_store.list_grants(rt.db, now=150.0)[0]["status"] == "expired"


def test_stored_grants_feed_evaluate(rt: Runtime) -> None:
    caps_store.grant(rt.db, _grant(), now=100.0)
    decision = caps.evaluate(module_id="geo-tools", module_version="1.0.0", capability_id="state.read",
                             requested=["state.read"], grants=caps_store.active_grants(rt.db, "geo-tools"),
                             session_id=caps_store.current_session(), now=200.0)
    assert decision.allowed


def test_record_appends_check_events(rt: Runtime) -> None:
    decision = caps.evaluate(module_id="geo-tools", module_version="1.0.0", capability_id="state.read",
                             requested=["state.read"], grants=[], session_id="s1", now=200.0)
    caps_store.record(rt.db, [caps.rejection_event(decision, event_id="ev-1", now=200.0)], now=200.0)
    [event] = _events(rt)
    assert event["eventType"] == "capability.check.rejected" and event["correlationId"] == "ev-1"


def test_session_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODGATE_SESSION", " lesson-7 ")
    assert caps_store.current_session() == "lesson-7"
    monkeypatch.delenv("MODGATE_SESSION")
    first = caps_store.current_session()
    assert first.startswith("proc-") and caps_store.current_session() == first
