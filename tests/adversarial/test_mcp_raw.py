"""Finding 12: raw MCP traffic that got no answer, or was read more loosely than the CLI reads."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from modgate.app import open_runtime

INIT = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}}


class Raw:
    def __init__(self, home: Path) -> None:
        env = {**os.environ, "MODGATE_HOME": str(home)}
        self.proc = subprocess.Popen([sys.executable, "-m", "modgate", "mcp"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        self.buffer = b""
        self.send_line(json.dumps(INIT).encode())
        assert self.answer(30)["id"] == 0
        self.send_line(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}')

    def send_line(self, raw: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(raw + b"\n")
        self.proc.stdin.flush()

    def answer(self, timeout: float = 20) -> dict[str, Any]:
        assert self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            assert left > 0, "no answer from the server"
            if sel.select(left):
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                assert chunk, "the server closed its output"
                self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        out: dict[str, Any] = json.loads(line)
        return out

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=20)


def _call(request_id: int, arguments: str) -> bytes:
    return (b'{"jsonrpc": "2.0", "id": %d, "method": "tools/call", "params": {"name": "setTool", "arguments": '
            % request_id + arguments.encode() + b"}}")


@pytest.fixture
def raw(modgate_home: Path) -> Any:
    open_runtime(modgate_home).close()
    client = Raw(modgate_home)
    yield client
    client.close()


def _code(answer: dict[str, Any]) -> str:
    if "error" in answer:
        return str(answer["error"].get("data", {}).get("code"))
    return str(answer["result"]["structuredContent"]["code"])


def test_a_lone_surrogate_gets_a_coded_answer(raw: Raw) -> None:
    raw.send_line(_call(1, '{"tool": "\\ud800"}'))
    answer = raw.answer()
    assert answer["id"] == 1 and _code(answer) == "json-lone-surrogate", answer


def test_very_deep_arguments_get_a_coded_answer(raw: Raw) -> None:
    raw.send_line(_call(2, '{"tool": ' + "[" * 100_000 + "]" * 100_000 + "}"))
    answer = raw.answer()
    assert _code(answer) == "json-too-deep", answer


def test_duplicate_keys_are_refused_like_the_cli(raw: Raw) -> None:
    raw.send_line(_call(3, '{"tool": "pen", "tool": "eraser"}'))
    answer = raw.answer()
    assert answer["id"] == 3 and _code(answer) == "json-duplicate-key", answer


def test_the_server_still_answers_afterwards(raw: Raw) -> None:
    raw.send_line(_call(4, '{"tool": "\\udfff"}'))
    raw.answer()
    raw.send_line(_call(5, '{"tool": "pen"}'))
    answer = raw.answer()
    assert answer["id"] == 5 and answer["result"]["structuredContent"]["ok"] is True, answer
