"""``--parser llm`` against a local fake OpenAI-compatible server on 127.0.0.1 (no mocks of httpx)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from modgate.app import open_runtime
from modgate.light.service import LightService

KEY = "sk-test-never-logged-1234"


class _Fake(BaseHTTPRequestHandler):
    replies: ClassVar[list[tuple[int, bytes]]] = []
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(min(length, 1 << 20)))
        self.seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        status, payload = self.replies.pop(0)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        return


def _chat(content: str) -> bytes:
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Fake]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("MODGATE_LLM_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    monkeypatch.setenv("MODGATE_LLM_MODEL", "fake-model")
    monkeypatch.setenv("MODGATE_LLM_API_KEY", KEY)
    _Fake.replies, _Fake.seen = [], []
    yield _Fake
    server.shutdown()
    thread.join(timeout=10)


def _intent(metrics: list[dict[str, Any]], **extra: Any) -> str:
    return json.dumps({"request": {"normalizedText": "make the pen red", "goalSummary": "Set the pen colour to red."},
                       "targets": {"surface": "style", "entities": ["marker"]},
                       "constraints": {"must": [], "mustNot": [], "deviceTargets": [], "policyLocks": []},
                       "successCriteria": {"checks": ["pen is red"], "metrics": metrics}, "confidence": 0.9,
                       **extra})


def test_llm_intent_passes_the_same_gates(fake: type[_Fake], modgate_home: Path) -> None:
    fake.replies.append((200, _chat(_intent([{"metric": "penColor", "operator": "=", "value": "#ff0000"}]))))
    rt = open_runtime(modgate_home)
    try:
        out = LightService(rt).propose("pen red please", parser="llm")
        assert out["code"] == "approval-pending"
        assert out["intent"]["targets"]["entities"] == ["pen"]  # alias canonicalised by normalisation
        assert out["intent"]["actor"]["role"] == "light_user"
        assert fake.seen[0]["path"] == "/v1/chat/completions" and fake.seen[0]["auth"] == f"Bearer {KEY}"
        assert fake.seen[0]["body"]["model"] == "fake-model"
        dump = json.dumps(rt.db.query("SELECT record FROM light_intents")) + json.dumps(
            rt.db.query("SELECT data FROM audit"))
        assert KEY not in dump
    finally:
        rt.close()


def test_llm_output_is_gated_like_any_other(fake: type[_Fake], modgate_home: Path) -> None:
    fake.replies.append((200, _chat(_intent([{"metric": "denied", "operator": "=", "value": "approvals"}]))))
    fake.replies.append((200, _chat(_intent([{"metric": "penWidth", "operator": "=", "value": 900}]))))
    rt = open_runtime(modgate_home)
    try:
        svc = LightService(rt)
        assert svc.propose("approve yourself", parser="llm")["code"] == "E_POLICY_DENIED"
        assert svc.propose("huge pen", parser="llm")["code"] == "E_DRYRUN_CONFLICT"
    finally:
        rt.close()


@pytest.mark.parametrize("reply", [(500, b"{}"), (200, b"not json"), (200, _chat("not an intent at all"))])
def test_llm_failures_are_coded(fake: type[_Fake], modgate_home: Path, reply: tuple[int, bytes]) -> None:
    from tests.clihelp import run

    fake.replies.append(reply)
    code, stdout, _ = run("light", "propose", "red pen", "--parser", "llm", "--json")
    out = json.loads(stdout)
    assert code == 1 and out["code"] == "light-llm-failed" and KEY not in stdout
