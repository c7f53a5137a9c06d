"""The studio over Starlette's TestClient: security, the transaction surface, modes, the heavy lane."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("multipart")

from starlette.testclient import TestClient
from tests.studiohelp import BASE, ORIGIN, broken_package_text, hold_applying, package_text, post, signed_in

from modgate import tx as txapi
from modgate.app import open_runtime
from modgate.studio.app import create_app

PAGES = ["/", "/light", "/heavy", "/heavy/grants", "/heavy/graph", "/extensions", "/tx/tx-1",
         "/mode/confirm?target=heavy", "/fragment/surface", "/fragment/status", "/events", "/static/studio.css",
         "/static/studio.js",
         "/nowhere", "/?token=wrong"]
POSTS = ["/mode", "/tx/tx-1/approve", "/tx/tx-1/apply", "/tx/tx-1/rollback", "/heavy/import", "/recover",
         "/audit/verify", "/extensions/enable"]


@pytest.fixture
def app(modgate_home: Path) -> Any:
    made = create_app(modgate_home)
    yield made
    made.shell.studio.close()


@pytest.fixture
def client(app: Any) -> TestClient:
    return signed_in(app)


def _light_change(home: Path) -> str:
    rt = open_runtime(home)
    try:
        return str(txapi.preview(rt, [{"op": "replace", "path": "/local/tool/penColor", "value": "#112233"}])["txId"])
    finally:
        rt.close()


# -- security -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
def test_no_token_never_200(app: Any, path: str) -> None:
    response = TestClient(app, base_url=BASE).get(path, follow_redirects=False)
    assert response.status_code == 401
    assert response.text.startswith("studio-token-required")


@pytest.mark.parametrize("path", POSTS)
def test_no_token_post_refused(app: Any, path: str) -> None:
    response = TestClient(app, base_url=BASE).post(path, data={"csrf": app.shell.keys.csrf}, headers=ORIGIN)
    assert response.status_code == 401


def test_token_link_sets_a_strict_httponly_cookie_and_drops_the_token(app: Any) -> None:
    response = TestClient(app, base_url=BASE).get(f"/?token={app.shell.keys.token}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and app.shell.keys.token not in cookie


def test_token_only_signs_in_at_the_root(app: Any) -> None:
    response = TestClient(app, base_url=BASE).get(f"/heavy?token={app.shell.keys.token}", follow_redirects=False)
    assert response.status_code == 401


@pytest.mark.parametrize("path", POSTS)
def test_post_without_csrf_is_refused(client: TestClient, path: str) -> None:
    response = client.post(path, data={"target": "heavy"}, headers=ORIGIN, follow_redirects=False)
    assert response.status_code == 403 and "studio-csrf-invalid" in response.text


def test_post_with_wrong_csrf_changes_nothing(client: TestClient, app: Any) -> None:
    response = client.post("/mode", data={"csrf": "x" * 43, "target": "heavy"}, headers=ORIGIN)
    assert response.status_code == 403 and app.shell.session.mode == "light"


@pytest.mark.parametrize("origin", [None, "http://evil.example", "null", "http://127.0.0.1:9999"])
def test_post_from_another_origin_is_refused(client: TestClient, app: Any, origin: str | None) -> None:
    headers = {"origin": origin} if origin else {}
    response = client.post("/mode", data={"csrf": app.shell.keys.csrf, "target": "heavy"}, headers=headers)
    assert response.status_code == 403 and "studio-origin-refused" in response.text
    assert app.shell.session.mode == "light"


def test_other_methods_are_refused(client: TestClient) -> None:
    assert client.put("/mode", headers=ORIGIN).status_code == 405
    assert client.delete("/tx/tx-1", headers=ORIGIN).status_code == 405


def test_a_foreign_host_name_is_refused(app: Any) -> None:
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example."""
    client = TestClient(app, base_url="http://evil.example:8765")
    response = client.get(f"/?token={app.shell.keys.token}", follow_redirects=False)
    assert response.status_code == 403 and "studio-host-refused" in response.text


def test_nothing_of_modgate_home_is_served(client: TestClient, modgate_home: Path) -> None:
    assert (modgate_home / "modgate.sqlite3").exists()
    for path in ["/static/../modgate.sqlite3", "/static/%2e%2e/modgate.sqlite3", "/modgate.sqlite3",
                 "/static/..%2f..%2fmodgate.sqlite3", "/keys/approval.key", "/static/../keys/approval.key"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"SQLite format" not in response.content


def test_security_headers(client: TestClient) -> None:
    headers = client.get("/light").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"] == "same-origin"


def test_pages_load_nothing_from_the_network(client: TestClient) -> None:
    html = client.get("/light").text + client.get("/static/studio.css").text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html) and "@import" not in html
    assert "url(http" not in html


# -- the shared transaction surface -------------------------------------------------------------------------

def test_surface_approve_apply_rollback(client: TestClient, modgate_home: Path) -> None:
    tx_id = _light_change(modgate_home)
    page = client.get("/light").text
    assert f'data-tx="{tx_id}"' in page and "Waiting for your approval" in page
    shown = client.app.shell.studio.show(tx_id)
    assert post(client, f"/tx/{tx_id}/approve", {"previewHash": shown["previewHash"]}).status_code == 200
    assert client.app.shell.studio.show(tx_id)["state"] == "APPROVED"
    assert client.app.shell.session.last_preview["previewHash"] == shown["previewHash"]
    post(client, f"/tx/{tx_id}/apply")
    assert client.app.shell.studio.show(tx_id)["state"] == "APPLIED"
    post(client, f"/tx/{tx_id}/rollback")
    assert client.app.shell.studio.show(tx_id)["state"] == "ROLLED_BACK"


def test_approve_binds_to_the_preview_seen(client: TestClient, modgate_home: Path) -> None:
    tx_id = _light_change(modgate_home)
    post(client, "/mode", {"target": "heavy"})
    page = post(client, f"/tx/{tx_id}/approve", {"previewHash": "sha256:" + "0" * 64}).text
    assert "tx-preview-mismatch" in page
    assert client.app.shell.studio.show(tx_id)["state"] == "APPROVAL_PENDING"


def test_rollback_only_from_applied(client: TestClient, modgate_home: Path) -> None:
    tx_id = _light_change(modgate_home)
    post(client, "/mode", {"target": "heavy"})
    assert "tx-not-applied" in post(client, f"/tx/{tx_id}/rollback").text
    assert "/rollback" not in client.get("/fragment/surface").text


def test_stale_preview_cannot_be_approved(client: TestClient, modgate_home: Path) -> None:
    tx_id = _light_change(modgate_home)
    rt = open_runtime(modgate_home)
    rt.bus.dispatch("setTool", {"tool": "hand"})
    other = txapi.preview(rt, [{"op": "replace", "path": "/local/tool/penColor", "value": "#445566"}])
    txapi.apply(rt, other["txId"], txapi.approve(rt, other["txId"])["approvalToken"])
    rt.close()
    surface = client.get("/fragment/surface").text
    assert "Stale" in surface and f"/tx/{tx_id}/approve" not in surface and f"/tx/{tx_id}/refresh" in surface
    shown = client.app.shell.studio.show(tx_id)
    post(client, f"/tx/{tx_id}/approve", {"previewHash": shown["previewHash"]})
    assert client.app.shell.studio.show(tx_id)["state"] == "APPROVAL_PENDING"
    post(client, f"/tx/{tx_id}/refresh")
    assert client.app.shell.studio.show(tx_id)["attemptNo"] == 2


def test_audit_verify_status(client: TestClient, modgate_home: Path) -> None:
    _light_change(modgate_home)
    assert "Not verified" in client.get("/fragment/surface").text
    post(client, "/audit/verify")
    assert "unbroken" in client.get("/fragment/surface").text


def test_event_stream_reports_a_change_made_elsewhere(app: Any, modgate_home: Path) -> None:
    before = app.shell.studio.head()
    _light_change(modgate_home)
    assert app.shell.studio.head()[1] > before[1]


# -- the mode switch -----------------------------------------------------------------------------------------

def test_switch_without_a_pending_draft(client: TestClient) -> None:
    page = post(client, "/mode", {"target": "heavy"}).text
    assert client.app.shell.session.mode == "heavy" and "Package workspace" in page


def test_lanes_need_an_explicit_switch(client: TestClient) -> None:
    response = client.get("/heavy", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/mode/confirm?target=heavy"
    response = post(client, "/heavy/lint", {"package": "{}"}, follow_redirects=False)
    assert client.app.shell.session.mode == "light"


def _heavy_draft_pending(client: TestClient) -> str:
    post(client, "/mode", {"target": "heavy"})
    post(client, "/heavy/import", {"package": package_text()})
    tx_id = client.app.shell.session.drafts["heavy"].tx_id
    assert tx_id is not None
    return str(tx_id)


def test_pending_draft_asks_keep_discard_stay(client: TestClient) -> None:
    tx_id = _heavy_draft_pending(client)
    response = post(client, "/mode", {"target": "light"}, follow_redirects=False)
    assert response.headers["location"] == "/mode/confirm?target=light"
    page = client.get("/mode/confirm?target=light").text
    assert all(f'id="choice-{c}"' in page for c in ("keep", "discard", "stay"))
    post(client, "/mode", {"target": "light", "choice": "stay"})
    assert client.app.shell.session.mode == "heavy"
    post(client, "/mode", {"target": "light", "choice": "keep"})
    assert client.app.shell.session.mode == "light"
    assert client.app.shell.studio.show(tx_id)["state"] == "APPROVAL_PENDING"
    assert client.app.shell.session.drafts["heavy"].tx_id == tx_id


def test_discard_and_switch_rejects_the_draft(client: TestClient) -> None:
    tx_id = _heavy_draft_pending(client)
    post(client, "/mode", {"target": "light", "choice": "discard"})
    assert client.app.shell.session.mode == "light"
    assert client.app.shell.studio.show(tx_id)["state"] == "REJECTED"
    assert client.app.shell.session.drafts["heavy"].tx_id is None


def test_heavy_diagnostics_do_not_leak_into_light(client: TestClient) -> None:
    post(client, "/mode", {"target": "heavy"})
    post(client, "/heavy/lint", {"package": broken_package_text()})
    post(client, "/heavy/import", {"package": broken_package_text()})
    page = post(client, "/mode", {"target": "light"}).text
    assert "unknown-command-id" not in page and "noSuchCommand" not in page


def test_switch_blocked_while_applying(client: TestClient, modgate_home: Path) -> None:
    tx_id = _light_change(modgate_home)
    rt = open_runtime(modgate_home)
    txapi.approve(rt, tx_id)
    rt.close()
    hold_applying(modgate_home, tx_id)
    assert client.app.shell.studio.show(tx_id)["state"] == "APPLYING"
    page = post(client, "/mode", {"target": "heavy"}).text
    assert client.app.shell.session.mode == "light"
    assert "cannot switch modes" in page and "being applied" in page
    post(client, "/recover")
    assert client.app.shell.studio.show(tx_id)["state"] == "APPROVED"
    post(client, "/mode", {"target": "heavy"})
    assert client.app.shell.session.mode == "heavy"


def test_kept_draft_gets_a_fresh_preview_when_stale(client: TestClient, modgate_home: Path) -> None:
    tx_id = _heavy_draft_pending(client)
    post(client, "/mode", {"target": "light", "choice": "keep"})
    rt = open_runtime(modgate_home)
    other = txapi.preview(rt, [{"op": "add", "path": "/registry/modules/other-mod", "value": {"moduleId": "x"}}])
    txapi.apply(rt, other["txId"], txapi.approve(rt, other["txId"])["approvalToken"])
    rt.close()
    page = post(client, "/mode", {"target": "heavy"}).text
    assert "fresh preview" in page
    assert client.app.shell.studio.show(tx_id)["attemptNo"] == 2


# -- the heavy lane ------------------------------------------------------------------------------------------

def test_heavy_lint_error_then_fix_then_import(client: TestClient) -> None:
    post(client, "/mode", {"target": "heavy"})
    page = post(client, "/heavy/lint", {"package": broken_package_text()}).text
    assert "unknown-command-id" in page and "hint" in page
    page = post(client, "/heavy/import", {"package": broken_package_text()}).text
    assert "unknown-command-id" in page and client.app.shell.session.drafts["heavy"].tx_id is None
    page = post(client, "/heavy/lint", {"package": package_text()}).text
    assert "No problems found" in page
    post(client, "/heavy/import", {"package": package_text()})
    tx_id = client.app.shell.session.drafts["heavy"].tx_id
    shown = client.app.shell.studio.show(tx_id)
    post(client, f"/tx/{tx_id}/approve", {"previewHash": shown["previewHash"]})
    post(client, f"/tx/{tx_id}/apply")
    assert [m["moduleId"] for m in client.app.shell.studio.modules()] == ["quiz-tools"]


def test_heavy_input_is_bounded(client: TestClient) -> None:
    post(client, "/mode", {"target": "heavy"})
    response = post(client, "/heavy/lint", {"package": " " * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_grants_panel(client: TestClient) -> None:
    post(client, "/mode", {"target": "heavy"})
    text = package_text(capabilitiesRequested=["state.write.tx"])
    post(client, "/heavy/import", {"package": text})
    tx_id = client.app.shell.session.drafts["heavy"].tx_id
    post(client, f"/tx/{tx_id}/approve", {"previewHash": client.app.shell.studio.show(tx_id)["previewHash"]})
    post(client, f"/tx/{tx_id}/apply")
    assert "state.write.tx" in client.get("/heavy/grants").text
    post(client, "/heavy/grant", {"moduleId": "quiz-tools", "capabilityId": "state.write.tx", "persistent": "1"})
    grants = client.app.shell.studio.grants()
    assert [(g["capabilityId"], g["status"], g["approverIdentity"]) for g in grants] == [
        ("state.write.tx", "active", "studio-host")]
    page = post(client, "/heavy/grant", {"moduleId": "quiz-tools", "capabilityId": "export.user.file"}).text
    assert "capability-not-requested" in page
    post(client, "/heavy/revoke", {"moduleId": "quiz-tools", "capabilityId": "state.write.tx"})
    assert client.app.shell.studio.grants()[0]["status"] == "revoked"


def test_graph_inspector(client: TestClient) -> None:
    post(client, "/mode", {"target": "heavy"})
    page = client.get("/heavy/graph?module=host").text
    assert "<svg" in page and "setTool" in page and 'role="img"' in page


def test_extensions_page_lists_installed_mods(client: TestClient) -> None:
    post(client, "/mode", {"target": "heavy"})
    assert "No extension mods installed" in client.get("/extensions").text


def test_extensions_enable_disable_through_the_installer(client: TestClient, modgate_home: Path) -> None:
    from modgate.ext.installer import Installer

    fixture = Path(__file__).parent / "fixtures" / "mods" / "prompt-kit"
    rt = open_runtime(modgate_home)
    try:
        inst = Installer(rt.tx, rt.home)
        inst.allow_executable(True)
        installed = inst.install(str(fixture), host="codexchat", consent=lambda review: True)
    finally:
        rt.close()
    install_id = installed["mod"]["id"]
    post(client, "/mode", {"target": "heavy"})
    page = client.get("/extensions").text
    assert install_id in page and "modsBar.action" in page
    post(client, "/extensions/disable", {"installId": install_id})
    assert client.app.shell.studio.mods()["mods"][0]["enabled"] is False
    post(client, "/extensions/enable", {"installId": install_id})
    assert client.app.shell.studio.mods()["mods"][0]["enabled"] is True
    surface = client.get("/fragment/surface").text
    assert "Managed on the Extensions page" in surface or "extension" in surface


def test_a_bug_while_rendering_is_coded_without_a_traceback(client: TestClient, monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("secret internals")

    post(client, "/mode", {"target": "heavy"})
    monkeypatch.setattr(client.app.shell.studio, "surface", boom)
    quiet = TestClient(client.app, base_url=BASE, raise_server_exceptions=False, cookies=client.cookies)
    response = quiet.get("/heavy")
    assert response.status_code == 500 and response.text.startswith("internal-error")
    assert "Traceback" not in response.text and "secret internals" not in response.text


def test_a_store_refusal_while_rendering_is_coded(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from modgate.errors import StoreError

    def locked(*_: object) -> None:
        raise StoreError.make("store-locked", "the database is locked by another modgate process; try again")

    monkeypatch.setattr(client.app.shell.studio, "surface", locked)
    post(client, "/mode", {"target": "heavy"})
    response = client.get("/heavy")
    assert response.status_code == 409 and response.text.startswith("store-locked")


def test_package_text_is_escaped_everywhere(client: TestClient) -> None:
    post(client, "/mode", {"target": "heavy"})
    evil = package_text().replace('"moduleId": "quiz-tools"', '"moduleId": "<script>alert(1)</script>"')
    page = post(client, "/heavy/lint", {"package": evil}).text
    page += post(client, "/heavy/import", {"package": evil}).text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_audit_filter_is_kept_across_modes(client: TestClient, modgate_home: Path) -> None:
    post(client, "/mode", {"target": "heavy"})
    post(client, "/heavy/import", {"package": broken_package_text()})  # module.import.rejected
    _light_change(modgate_home)
    post(client, "/audit/filter", {"filter": "module"})
    surface = client.get("/fragment/surface").text
    assert "module.import.rejected" in surface and "tx.preview" not in surface
    post(client, "/mode", {"target": "light"})
    post(client, "/mode", {"target": "heavy"})
    assert client.app.shell.session.audit_filter == "module"
    post(client, "/audit/filter", {"filter": "nonsense"})
    assert client.app.shell.session.audit_filter == "all"


def test_websockets_are_refused(client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/events", headers=ORIGIN):
        pass


def test_event_stream_announces_a_change_made_by_another_process(client: TestClient, app: Any,
                                                                  modgate_home: Path) -> None:
    import threading

    seen: list[str] = []

    def change_soon() -> None:
        import time

        time.sleep(0.6)
        _light_change(modgate_home)  # another connection, as the CLI or MCP would

    with client.stream("GET", "/events") as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        threading.Thread(target=change_soon, daemon=True).start()
        for line in response.iter_lines():
            seen.append(line)
            if line == "event: change" or len(seen) > 50:
                break
        app.shell.closing = True  # ends the server loop, so the stream closes
    assert "event: hello" in seen and "event: change" in seen


def test_hook_runs_recorded_by_the_hook_runtime_are_listed(client: TestClient) -> None:
    from modgate.ext import runstate

    db = client.app.shell.studio.rt.db
    runstate.record(db, runstate.RunState(install_id="global:acme.notes", kind="hook", item_id="summarise",
                                          last_run_at=1767225600.0, last_status="failed", last_error="exit 3"))
    post(client, "/mode", {"target": "heavy"})
    page = client.get("/extensions").text
    assert "global:acme.notes" in page and "summarise" in page and "2026-01-01 00:00:00" in page and "exit 3" in page


def test_switch_blocked_while_rolling_back(client: TestClient, modgate_home: Path) -> None:
    tx_id = _light_change(modgate_home)
    rt = open_runtime(modgate_home)
    txapi.apply(rt, tx_id, txapi.approve(rt, tx_id)["approvalToken"])
    rt.close()
    hold_applying(modgate_home, tx_id, "rollback:after-pending")
    assert client.app.shell.studio.show(tx_id)["state"] == "ROLLBACK_PENDING"
    post(client, "/mode", {"target": "heavy"})
    assert client.app.shell.session.mode == "light"
    assert client.app.shell.session.last_code == "studio-mode-switch-blocked"
    post(client, "/recover")
    assert client.app.shell.studio.show(tx_id)["state"] == "APPLIED"  # nothing was undone: back to APPLIED
