"""Golden cases of the studio's own codes (tests/cases/studio/*.json) and the pure mode rules."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("multipart")

from starlette.testclient import TestClient
from tests.clihelp import run_json
from tests.studiohelp import BASE, hold_applying, package_text, post, signed_in

from modgate import tx as txapi
from modgate.app import open_runtime
from modgate.errors import ModgateError
from modgate.studio import modes
from modgate.studio.app import create_app
from modgate.studio.server import bind_socket
from modgate.tx import machine as m

CASES = sorted((Path(__file__).parent / "cases" / "studio").glob("*.json"))


def _setup(name: str | None, client: TestClient, home: Path) -> dict[str, str]:
    if name == "heavy-draft":
        post(client, "/mode", {"target": "heavy"})
        post(client, "/heavy/import", {"package": package_text()})
        return {}
    rt = open_runtime(home)
    try:
        if name is None:
            return {}
        shown = txapi.preview(rt, [{"op": "replace", "path": "/local/tool/penColor", "value": "#010203"}])
        if name == "applying":
            txapi.approve(rt, shown["txId"])
        else:  # stale: another change to the same domain lands after the preview
            other = txapi.preview(rt, [{"op": "replace", "path": "/local/tool/penColor", "value": "#040506"}])
            txapi.apply(rt, other["txId"], txapi.approve(rt, other["txId"])["approvalToken"])
    finally:
        rt.close()
    if name == "applying":
        hold_applying(home, shown["txId"])
    return {"hash": shown["previewHash"]}


def _request(client: TestClient, app: Any, req: dict[str, Any], values: dict[str, str]) -> Any:
    data = {k: v.replace("{hash}", values.get("hash", "")) for k, v in req.get("data", {}).items()}
    if req.get("csrf", True):
        data["csrf"] = app.shell.keys.csrf
    if "pad" in req:
        data["pad"] = "x" * req["pad"]
    headers = {"origin": req.get("origin", BASE)}
    if "host" in req:
        headers["host"] = req["host"]
    return client.request(req["method"], req["path"], data=data if req["method"] == "POST" else None,
                          headers=headers, follow_redirects=False)


def _server_case(name: str, monkeypatch: pytest.MonkeyPatch) -> str:
    if name == "port-in-use":
        holder = bind_socket("127.0.0.1", 0)
        try:
            with pytest.raises(ModgateError) as caught:
                bind_socket("127.0.0.1", holder.getsockname()[1])
        finally:
            holder.close()
        return caught.value.code
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    code, out = run_json("studio", "--no-browser", "--port", "0")
    assert code == 1
    return str(out["code"])


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_studio_case(path: Path, modgate_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    if "server" in case:
        assert _server_case(case["server"], monkeypatch) == case["code"]
        return
    app = create_app(modgate_home)
    try:
        client = signed_in(app) if case["request"].get("signedIn", True) else TestClient(app, base_url=BASE)
        values = _setup(case.get("setup"), client, modgate_home)
        if case["request"].get("mode") == "heavy" and app.shell.session.mode != "heavy":
            post(client, "/mode", {"target": "heavy"})
        response = _request(client, app, case["request"], values)
        assert response.status_code == case["status"], response.text[:300]
        if response.status_code == 303 and response.headers["location"].startswith("/mode/confirm"):
            decision = modes.decide_switch(current="heavy", target="light", draft_state=m.APPROVAL_PENDING,
                                           transactions=app.shell.studio.transactions(), choice=None)
            assert decision.code == case["code"]
        elif response.status_code == 303:  # a refusal: shown as a message on the page it goes back to
            assert app.shell.session.last_code == case["code"]
        else:
            assert response.text.startswith(case["code"])
    finally:
        app.shell.studio.close()


# -- the pure mode rules ------------------------------------------------------------------------------------

@pytest.mark.parametrize("state", sorted(modes.BLOCKING_STATES))
def test_switch_blocked_in_every_blocking_state(state: str) -> None:
    decision = modes.decide_switch(current="light", target="heavy", transactions=[("tx-1", state)],
                                   draft_state=None, choice="keep")
    assert decision.outcome == "blocked" and decision.blocking == ("tx-1",)
    assert not decision.switches


@pytest.mark.parametrize("state", sorted(modes.DRAFT_DECISION_STATES))
def test_pending_draft_needs_a_choice(state: str) -> None:
    decide = lambda choice: modes.decide_switch(current="heavy", target="light",  # noqa: E731
                                                transactions=[("tx-1", state)], draft_state=state, choice=choice)
    assert decide(None).outcome == "choose" and decide(None).code == "studio-draft-decision-required"
    assert [decide(c).outcome for c in modes.CHOICES] == ["keep", "discard", "stay"]
    assert [decide(c).switches for c in modes.CHOICES] == [True, True, False]


@pytest.mark.parametrize("state", sorted(set(m.STATES) - modes.BLOCKING_STATES - modes.DRAFT_DECISION_STATES))
def test_other_states_switch_directly(state: str) -> None:
    decision = modes.decide_switch(current="heavy", target="light", transactions=[("tx-1", state)],
                                   draft_state=state, choice=None)
    assert decision.outcome == "switch"


def test_invalid_and_same_mode() -> None:
    assert modes.decide_switch(current="light", target="x", transactions=[], draft_state=None,
                               choice=None).code == "studio-mode-invalid"
    assert modes.decide_switch(current="light", target="light", transactions=[], draft_state=None,
                               choice=None).outcome == "same"
    again = modes.SwitchDecision.from_dict(modes.SwitchDecision(outcome="blocked", blocking=("tx-2",)).to_dict())
    assert again.blocking == ("tx-2",)


def test_bind_any_free_port() -> None:
    sock = bind_socket("127.0.0.1", 0)
    try:
        probe = socket.create_connection(sock.getsockname(), timeout=5)
        probe.close()
    finally:
        sock.close()
