"""Beta signoff (task 258): fresh home, drills, and each checklist item driven to FAIL by a crafted history."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.clihelp import run, run_json

from modgate import evidence
from modgate import tx as txapi
from modgate.app import Runtime, open_runtime
from modgate.auditevent import AuditEvent
from modgate.signoff import drill as drills
from modgate.signoff import light_drill
from modgate.signoff.service import report
from modgate.store import audit

LIGHT = light_drill.available()
WHY_LIGHT = "the light track (modgate.light) is not in this build: light KPIs stay UNKNOWN until it is merged"


@pytest.fixture(scope="module")
def drilled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home after `drill run --suite all --into-current` (built once, copied per test)."""
    home = tmp_path_factory.mktemp("drilled") / "home"
    with open_runtime(home) as rt:
        done = drills.run(rt, drills.SUITES, "drill-test")
    assert all(r.ok for r in done.results), [r.to_dict() for r in done.results if not r.ok]
    return home


@pytest.fixture
def home(drilled: Path, modgate_home: Path) -> Iterator[Path]:
    shutil.copytree(drilled, modgate_home)
    yield modgate_home


def _items(body: dict[str, Any]) -> dict[str, str]:
    return {i["id"]: i["status"] for i in body["items"]}


def _kpis(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k["id"]: k for k in body["kpis"]}


def _craft_tx(rt: Runtime, track: str, steps: list[tuple[str, str]], *, kind: str = "ops") -> str:
    """A transaction written straight into the tables, bypassing the bus and the engine."""
    now = time.time()
    with rt.db.atomic() as conn:
        seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM tx").fetchone()[0]
        tx_id = f"tx-crafted-{seq}"
        conn.execute("INSERT INTO tx(tx_id, seq, created_at, track, kind, title, recipe, requested_by,"
                     " requested_role, state, attempt_no) VALUES (?,?,?,?,?, 'crafted', '{}', 'test', 'host', ?, 1)",
                     (tx_id, seq, now, track, kind, steps[-1][1]))
        conn.executemany("INSERT INTO tx_history(tx_id, attempt_no, at, prev_state, next_state, actor_id,"
                         " actor_role) VALUES (?, 1, ?, ?, ?, 'test', 'host')",
                         [(tx_id, now, prev, nxt) for prev, nxt in steps])
    return tx_id


def _signoff() -> tuple[int, dict[str, Any]]:
    return run_json("signoff")


# -- fresh home and drills --------------------------------------------------------------------------
def test_fresh_home_is_no_go_with_unknown_items() -> None:
    code, body = _signoff()
    assert code == 1 and body["ok"] is False and body["code"] == "signoff-no-go"
    assert body["decision"] == "NO-GO" and body["betaFlag"] is False and body["mode"] == "preview-only"
    items = _items(body)
    assert len(items) == 6 and list(items.values()).count("UNKNOWN") == 5
    assert items["capability-policy"] == "PASS"  # zero violations needs no floor
    floors = {f["name"]: f for f in _kpis(body)["S-SLO-1"]["floors"]}
    assert floors["approval-required transactions"] == {"name": "approval-required transactions", "required": 40,
                                                        "actual": 0, "met": False}


@pytest.mark.skipif(LIGHT, reason="the light track is installed: see test_drills_reach_go")
def test_drills_meet_every_floor_but_light() -> None:
    """Before the light track is merged: GO for everything the drills can show; light stays UNKNOWN."""
    code, body = run_json("drill", "run", "--suite", "all", "--into-current")
    assert code == 0 and body["code"] == "drill-completed" and body["failed"] == []
    assert body["skipped"] and "light" in body["skipped"][0]
    code, body = _signoff()
    items = _items(body)
    assert code == 1 and body["decision"] == "NO-GO", WHY_LIGHT
    assert items == {"light-track": "UNKNOWN", "heavy-track": "PASS", "terminal-health": "UNKNOWN",
                     "approval-compliance": "PASS", "rollback-success": "PASS", "capability-policy": "PASS"}
    kpis = _kpis(body)
    assert kpis["H-SLO-4"]["status"] == "PASS" and kpis["L-SLO-4"]["status"] == "UNKNOWN"
    assert kpis["S-SLO-2"]["fixtureShare"] == 1.0 and kpis["S-SLO-2"]["denominator"] >= 16
    assert {f["name"]: f["met"] for f in kpis["S-SLO-2"]["floors"]} == {
        "rollback attempts": True, "capability_reject_after_partial_apply rollbacks": True}


@pytest.mark.skipif(not LIGHT, reason=WHY_LIGHT)
def test_drills_reach_go() -> None:
    code, body = run_json("drill", "run", "--suite", "all", "--into-current")
    assert code == 0 and body["failed"] == [], body
    code, body = _signoff()
    assert code == 0 and body["ok"] is True and body["decision"] == "GO" and body["betaFlag"] is True, _items(body)


def test_drills_run_in_their_own_home_by_default(modgate_home: Path) -> None:
    code, body = run_json("drill", "run", "--suite", "rollback")
    assert code == 0 and body["intoCurrent"] is False
    assert Path(body["home"]).parent == modgate_home / "drills"
    assert body["signoff"]["decision"] == "NO-GO"
    _, current = _signoff()  # the current home has no evidence of it
    assert _kpis(current)["S-SLO-2"]["denominator"] == 0


def test_drill_evidence_carries_fixture_fields(home: Path) -> None:
    with open_runtime(home) as rt:
        events = audit.recent(rt.db, 100_000)
    rollbacks = [e for e in events if e["eventType"] == "capability.rollback.executed"]
    assert len(rollbacks) == drills.CAPABILITY_DRILLS
    data = rollbacks[0]["data"]
    assert data["evidenceChannel"] == "controlled_fixture" and data["fixtureRunId"] == "drill-test"
    assert data["fixtureCaseId"].startswith("capability-reject") and data["expectedOutcome"] == "rolled_back"
    assert data["eventClass"] == "capability_reject_after_partial_apply" and data["episodeKey"].count(":") == 1
    planned = [e for e in events if e["eventType"] == "tx.rollback" and e["data"]["nextState"] == "ROLLED_BACK"]
    assert planned and all(e["data"]["eventClass"] == "planned_drill" for e in planned)
    assert audit.verify(open_runtime(home).db)["ok"]


def test_real_use_is_prod_traffic(modgate_home: Path) -> None:
    with open_runtime(modgate_home) as rt:
        shown = txapi.preview(rt, [{"op": "replace", "path": "/local/tool/penColor", "value": "#000000"}])
        txapi.apply(rt, shown["txId"], txapi.approve(rt, shown["txId"])["approvalToken"])
        txapi.rollback(rt, shown["txId"])
        events = [e for e in audit.recent(rt.db, 50) if e["eventType"].startswith("tx.")]
    assert all(e["data"]["evidenceChannel"] == "prod_traffic" for e in events)
    assert {e["data"]["episodeKey"] for e in events} == {f"{shown['txId']}:1"}
    assert [e["data"]["eventClass"] for e in events if e["eventType"] == "tx.rollback"] == ["operator_rollback"] * 2


# -- each item driven to FAIL ------------------------------------------------------------------------
def test_failed_terminal_transaction_fails_terminal_health(home: Path) -> None:
    with open_runtime(home) as rt:
        _craft_tx(rt, "heavy", [("APPLIED", "ROLLBACK_PENDING"), ("ROLLBACK_PENDING", "FAILED_TERMINAL")])
    code, body = _signoff()
    assert code == 1 and _items(body)["terminal-health"] == "FAIL" and "terminal-health=FAIL" in body["message"]
    assert _kpis(body)["H-SLO-4"]["status"] == "FAIL" and _kpis(body)["H-SLO-4"]["failing"]


def test_apply_without_approval_fails_approval_compliance(home: Path) -> None:
    with open_runtime(home) as rt:
        tx_id = _craft_tx(rt, "heavy", [("RECEIVED", "PREVIEWING"), ("PREVIEWING", "PREVIEW_READY"),
                                        ("PREVIEW_READY", "APPROVAL_PENDING"), ("APPROVAL_PENDING", "APPROVED"),
                                        ("APPROVED", "APPLYING"), ("APPLYING", "APPLIED")])
    code, body = _signoff()  # an APPROVED step without an approval token of that attempt
    assert code == 1 and _items(body)["approval-compliance"] == "FAIL"
    assert _kpis(body)["S-SLO-1"]["failing"] == [f"{tx_id}:1"]


def test_apply_that_skipped_approval_fails_approval_compliance(home: Path) -> None:
    with open_runtime(home) as rt:
        _craft_tx(rt, "command", [("APPROVAL_PENDING", "APPLYING"), ("APPLYING", "APPLIED")])
    assert _items(_signoff()[1])["approval-compliance"] == "FAIL"


def test_failed_rollback_fails_rollback_success(home: Path) -> None:
    with open_runtime(home) as rt:
        tx_id = _craft_tx(rt, "heavy", [("APPLIED", "ROLLBACK_PENDING"), ("ROLLBACK_PENDING", "RECOVERY_PENDING"),
                                        ("RECOVERY_PENDING", "APPLIED")])
    code, body = _signoff()
    assert code == 1 and _items(body)["rollback-success"] == "FAIL"
    assert _kpis(body)["S-SLO-2"]["failing"] == [f"{tx_id}:1 (operator_rollback)"]


def test_failed_capability_rollback_fails_rollback_success(home: Path) -> None:
    with open_runtime(home) as rt, rt.db.atomic() as conn:
        audit.append(conn, [AuditEvent(event_type="capability.rollback.failed", correlation_id="tx-9", data={
            "transactionId": "tx-9", "attemptNo": 1, "episodeKey": "tx-9:1", "outcome": "rollback_failed",
            "eventClass": "capability_reject_after_partial_apply"})], time.time())
    assert _items(_signoff()[1])["rollback-success"] == "FAIL"


def test_nondeterministic_light_request_fails_light_determinism(home: Path) -> None:
    with open_runtime(home) as rt:
        shown = txapi.preview(rt, [{"op": "replace", "path": "/local/tool/penColor", "value": "#000000"}])
        other = orjson.dumps([{"op": "replace", "path": "/local/tool/penColor", "value": "#ffffff"}]).decode()
        rt.db.execute("UPDATE tx_attempts SET ops=? WHERE tx_id=?", (other, shown["txId"]))
    code, body = _signoff()
    kpi = _kpis(body)["L-KPI-1"]
    assert code == 1 and kpi["status"] == "FAIL" and kpi["failing"] == [shown["txId"]]
    assert _items(body)["light-track"] == "FAIL"


def test_deterministic_light_request_is_measured(home: Path) -> None:
    with open_runtime(home) as rt:
        txapi.preview(rt, [{"op": "replace", "path": "/local/tool/penColor", "value": "#000000"}])
    kpi = _kpis(_signoff()[1])["L-KPI-1"]
    assert kpi["numerator"] == kpi["denominator"] >= 1 and kpi["status"] in ("UNKNOWN", "PASS")


def test_production_policy_violation_fails_and_fixture_one_does_not(home: Path) -> None:
    event = AuditEvent(event_type="capability.check.rejected", correlation_id="m", data={
        "decision": "rejected", "decisionReasonCode": "capability-policy-violation"})
    fx = evidence.Fixture(fixture_run_id="r", fixture_case_id="c", expected_outcome="rejected")
    with open_runtime(home) as rt, evidence.fixture(fx), rt.db.atomic() as conn:
        audit.append(conn, [event], time.time())
    body = _signoff()[1]
    assert _items(body)["capability-policy"] == "PASS" and _kpis(body)["S-SLO-3"]["fixtureShare"] == 1.0
    with open_runtime(home) as rt, rt.db.atomic() as conn:
        audit.append(conn, [AuditEvent(event_type=event.event_type, correlation_id="m", data=dict(event.data))],
                     time.time())
    code, body = _signoff()
    assert code == 1 and _items(body)["capability-policy"] == "FAIL" and _kpis(body)["S-SLO-3"]["numerator"] == 1


def test_unstable_reject_fails_heavy_track(home: Path) -> None:
    with open_runtime(home) as rt:  # the stored first path no longer matches what re-validation finds
        rt.db.execute("UPDATE signoff_imports SET path='package.elsewhere' WHERE seq=(SELECT MIN(seq) FROM"
                      " signoff_imports WHERE ok=0)")
    body = _signoff()[1]
    assert _items(body)["heavy-track"] == "FAIL" and _kpis(body)["H-KPI-2"]["status"] == "FAIL"


# -- window, clock and output ----------------------------------------------------------------------
def test_window_rolls(home: Path) -> None:
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 8 * 86400))
    code, body = run_json("signoff", "--now", later)
    assert code == 1 and _kpis(body)["S-SLO-2"]["denominator"] == 0
    code, body = run_json("signoff", "--now", later, "--window", "9d")
    assert _kpis(body)["S-SLO-2"]["denominator"] >= 16 and body["window"]["label"] == "9d"


@pytest.mark.parametrize(("args", "code"), [(["--window", "7 days"], "signoff-invalid-window"),
                                            (["--window", "400d"], "signoff-invalid-window"),
                                            (["--now", "yesterday"], "signoff-invalid-now")])
def test_bad_window_or_clock_is_coded(args: list[str], code: str) -> None:
    status, body = run_json("signoff", *args)
    assert status == 1 and body["code"] == code and body["path"] in ("window", "now")


def test_html_is_one_self_contained_page(home: Path, tmp_path: Path) -> None:
    page = tmp_path / "signoff.html"
    _code, body = run_json("signoff", "--html", str(page))
    text = page.read_text(encoding="utf-8")
    assert body["html"] == str(page) and text.startswith("<!doctype html>")
    assert text.count("<svg") == 11 and "<script" not in text
    for external in ("src=", "href=", "url(", "@import", "<link"):
        assert external not in text


def test_html_to_a_directory_is_coded(tmp_path: Path) -> None:
    code, body = run_json("signoff", "--html", str(tmp_path))
    assert code == 1 and body["code"] == "signoff-html-write-failed"


def test_human_output_names_the_decision() -> None:
    code, out, err = run("signoff")
    assert code == 1 and out.startswith("NO-GO") and "signoff-no-go" in err


@pytest.mark.parametrize("args", [["signoff", "--help"], ["drill", "--help"], ["drill", "run", "--help"]])
def test_help(args: list[str]) -> None:
    assert run(*args)[0] == 0


def test_report_is_computed_not_typed_in(home: Path) -> None:
    with open_runtime(home) as rt:
        first = report(rt, now=time.time() + 1).to_dict()
        _craft_tx(rt, "heavy", [("APPROVAL_PENDING", "REJECTED")])
        second = report(rt, now=time.time() + 1).to_dict()
    assert _kpis(second)["H-SLO-4"]["denominator"] == _kpis(first)["H-SLO-4"]["denominator"] + 1


def _chromium() -> str | None:
    return next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)


def _console(browser: str, page: Path) -> tuple[str, list[str]]:
    import subprocess

    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                           "--v=0", "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=90,
                          check=False)
    return done.stdout, [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed (.ci/run installs it)")
def test_html_renders_in_chromium_without_console_errors(home: Path, tmp_path: Path) -> None:
    browser = _chromium()
    assert browser is not None
    broken = tmp_path / "broken.html"  # the check itself can fail: a page with a script error is caught
    broken.write_text("<!doctype html><script>nosuch()</script>", encoding="utf-8")
    assert _console(browser, broken)[1]
    page = tmp_path / "signoff.html"
    run("signoff", "--html", str(page))
    dom, console = _console(browser, page)
    assert console == [] and dom.count("<svg") == 11 and "Beta signoff" in dom


def test_student_execution_written_past_the_bus_fails_approval_compliance(home: Path) -> None:
    with open_runtime(home) as rt, rt.db.atomic() as conn:
        audit.append(conn, [AuditEvent(event_type="dispatch-executed", correlation_id="cmd-x", command_id="deletePage",
                                       role="student", data={"meta": {}})], time.time())
    code, body = _signoff()
    assert code == 1 and _items(body)["approval-compliance"] == "FAIL"
    assert _kpis(body)["S-SLO-1"]["failing"][0].endswith(":deletePage")


def test_student_dispatch_through_the_bus_stays_compliant(home: Path) -> None:
    code, _ = run_json("dispatch", "deletePage", "--payload", '{"pageId": "page-1"}', "--role", "student")
    assert code in (1, 3)  # queued (or refused), never executed
    assert _items(_signoff()[1])["approval-compliance"] == "PASS"


def test_home_without_signoff_tables_still_reports(modgate_home: Path) -> None:
    with open_runtime(modgate_home) as rt:
        with rt.db.atomic() as conn:  # as a home opened read-only before migration 0500 would be
            for table in ("signoff_imports", "signoff_blobs", "signoff_bases", "signoff_docs"):
                conn.execute(f"DROP TABLE {table}")
        result = report(rt, now=time.time())
    assert result.decision == "NO-GO" and {i.status for i in result.items} == {"UNKNOWN", "PASS"}


@pytest.mark.skipif(not LIGHT, reason=WHY_LIGHT)
def test_stored_intent_that_reruns_differently_fails_light_determinism(home: Path) -> None:
    with open_runtime(home) as rt:
        intent_id, text = rt.db.query("SELECT intent_id, record FROM light_intents WHERE tx_id IS NOT NULL"
                                      " ORDER BY seq LIMIT 1")[0]
        record = orjson.loads(text)
        record["artifacts"]["preview.diff.v1"]["diffId"] = "diff-0000000000000000"  # not what the gates give
        rt.db.execute("UPDATE light_intents SET record=? WHERE intent_id=?", (orjson.dumps(record).decode(),
                                                                             intent_id))
    code, body = _signoff()
    kpi = _kpis(body)["L-KPI-1"]
    assert code == 1 and kpi["status"] == "FAIL" and kpi["failing"] == [intent_id]
    assert _items(body)["light-track"] == "FAIL"


@pytest.mark.skipif(not LIGHT, reason=WHY_LIGHT)
def test_light_drill_covers_every_device_class(home: Path) -> None:
    body = _signoff()[1]
    floors = {f["name"]: f for f in _kpis(body)["L-KPI-1"]["floors"]}
    assert all(floors[f"light intents on {d}"]["actual"] >= 15 for d in ("web", "tablet", "mobile"))
    assert _kpis(body)["L-KPI-1"]["fixtureShare"] == 1.0 and _kpis(body)["L-KPI-2"]["numerator"] >= 60


def test_signoff_only_reads_and_never_creates_a_home(modgate_home: Path) -> None:
    code, body = _signoff()
    assert code == 1 and body["code"] == "signoff-no-go" and not modgate_home.exists()


@pytest.mark.skipif(not LIGHT, reason=WHY_LIGHT)
def test_light_drill_leaves_the_persons_settings_as_they_were(home: Path, tmp_path: Path) -> None:
    with open_runtime(tmp_path / "fresh") as fresh, open_runtime(home) as drilled:
        assert drilled.store.state()["prefs"] == fresh.store.state()["prefs"]
        assert drilled.tx.list_tx(track="light", state="APPLIED") == []
