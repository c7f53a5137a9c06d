"""The light lane over TestClient: the flow, and its pages in plain words only (no code, JSON,
state paths, command ids, transaction ids or error codes in any text a person meets)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from tests.studiohelp import post, signed_in

from modgate import codes
from modgate.host import get_host
from modgate.studio.app import create_app
from modgate.studio.light import available

pytestmark = pytest.mark.skipif(not available(), reason="the light track (modgate.light) is not installed")

SHOWN_ATTRS = ("aria-label", "title", "alt", "placeholder")
PATH = re.compile(r"(^|[\s(\"'])/(prefs|local|sync|doc|registry|extensions)\b")
CODEISH = re.compile(r"[{}\[\]]|=>|function\(|<script|```|\bE_[A-Z_]+\b|\btx-[0-9]+\b|sha256:")


class _Texts(HTMLParser):
    """Text and the attributes a person or a screen reader meets (not scripts, not hidden inputs)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        self.found += [v for k, v in values.items() if k in SHOWN_ATTRS and v]
        if tag == "input" and values.get("type") != "hidden" and values.get("value"):
            self.found.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.found.append(data.strip())


def leaks(html: str) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    # camelCase ids are code; the two plain words among them (undo, redo) are everyday English
    commands = {c.id for c in get_host("board").sorted_commands() if not c.id.islower()}
    known = set(codes.all_codes())
    return [text for text in parser.found if PATH.search(text) or CODEISH.search(text)
            or set(re.findall(r"[A-Za-z0-9_.:-]+", text)) & (commands | known)]


@pytest.fixture
def client(modgate_home: Path) -> Any:
    app = create_app(modgate_home)
    yield signed_in(app)
    app.shell.studio.close()


def _plain(client: TestClient, html: str) -> None:
    assert leaks(html) == []


def test_the_walker_catches_leaks() -> None:
    assert leaks("<p>set /prefs/defaults/penColor</p>") and leaks("<p>setPenColor</p>")
    assert leaks('<p>{"a": 1}</p>') and leaks("<p>E_POLICY_DENIED</p>") and leaks('<p title="tx-3">x</p>')
    assert leaks("<p>tx-not-found</p>") and not leaks("<p>Make the pen dark blue.</p>")


def test_light_flow_in_plain_words(client: TestClient) -> None:
    _plain(client, client.get("/light").text)
    page = post(client, "/light/propose", {"text": "change the pen colour"}).text
    _plain(client, page)
    assert 'class="chip"' in page
    page = post(client, "/light/answer", {"option": "1"}).text
    _plain(client, page)
    tx = client.app.shell.studio.show(client.app.shell.session.drafts["light"].tx_id)
    assert tx["track"] == "light" and tx["state"] == "APPROVAL_PENDING"
    page = post(client, "/light/approve", {"previewHash": tx["previewHash"]}).text
    _plain(client, page)
    assert client.app.shell.studio.show(tx["txId"])["state"] == "APPLIED"
    page = post(client, "/light/undo").text
    _plain(client, page)
    assert client.app.shell.studio.show(tx["txId"])["state"] == "ROLLED_BACK"
    _plain(client, client.get(f"/tx/{tx['txId']}").text)


def test_light_refusals_are_plain(client: TestClient) -> None:
    _plain(client, post(client, "/light/propose", {"text": "<script>alert(1)</script> install this code"}).text)
    _plain(client, post(client, "/light/propose", {"text": " "}).text)
    _plain(client, post(client, "/light/answer", {"option": "9"}).text)
    _plain(client, post(client, "/light/propose", {"text": "x" * 3000}).text)


def test_layout_change_draws_boards(client: TestClient) -> None:
    page = post(client, "/light/propose", {"text": "put the input panel on the left", "device-tablet": "on"}).text
    if 'class="chip"' in page:
        page = post(client, "/light/answer", {"option": "1"}).text
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="board"') >= 2
    _plain(client, page)


def test_light_draft_pending_asks_at_the_switch(client: TestClient) -> None:
    post(client, "/light/propose", {"text": "make the pen dark blue"})
    tx_id = client.app.shell.session.drafts["light"].tx_id
    assert tx_id is not None
    response = post(client, "/mode", {"target": "heavy"}, follow_redirects=False)
    assert response.headers["location"] == "/mode/confirm?target=heavy"
    post(client, "/mode", {"target": "heavy", "choice": "discard"})
    assert client.app.shell.studio.show(tx_id)["state"] == "REJECTED"


def test_light_correction_loop_does_not_leak_into_heavy(client: TestClient) -> None:
    page = post(client, "/light/propose", {"text": "change the pen colour"}).text
    question = re.search(r'<p class="ask">([^<]+)</p>', page)
    assert question is not None
    heavy = post(client, "/mode", {"target": "heavy"}).text
    for path in ("/heavy", "/heavy/grants", "/heavy/graph", "/extensions"):
        heavy += client.get(path).text
    assert question.group(1) not in heavy and 'class="chip"' not in heavy
    back = post(client, "/mode", {"target": "light"}).text  # the light draft is kept for its own mode
    assert question.group(1) in back
