"""The light lane end to end in chromium: a request through a correction to approval and undo, a
layout change with before/after pictures, and a walk over every page of the lane checking that no
code, JSON, state path, command id or error code is shown anywhere."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.browser.conftest import Server, axe, shot

from modgate import codes
from modgate.host import get_host
from modgate.studio.light import available

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not available(), reason="the light track (modgate.light) is not installed")]

# Text nodes and the attributes a person (or a screen reader) meets; form plumbing is not shown.
WALK = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) { const v = walker.currentNode.nodeValue.trim(); if (v) out.push(v); }
  document.querySelectorAll('[aria-label],[title],[alt],[placeholder],input:not([type=hidden])').forEach(el => {
    for (const a of ['aria-label', 'title', 'alt', 'placeholder', 'value']) {
      const v = el.getAttribute(a); if (v) out.push(v);
    }
  });
  return out;
}"""
PATH = re.compile(r"(^|[\s(\"'])/(prefs|local|sync|doc|registry|extensions)\b|[A-Za-z0-9_]+/[A-Za-z0-9_]+/")
CODEISH = re.compile(r"[{}\[\]]|=>|function\(|<script|```|\bE_[A-Z_]+\b|\btx-[0-9]+\b|sha256:")


def _leaks(texts: list[str]) -> list[str]:
    # camelCase ids are code; the two plain words among them (undo, redo) are everyday English
    command_ids = {c.id for c in get_host("board").sorted_commands() if not c.id.islower()}
    error_codes = set(codes.all_codes())
    found = []
    for text in texts:
        words = set(re.findall(r"[A-Za-z0-9_.:-]+", text))
        if PATH.search(text) or CODEISH.search(text) or words & command_ids or words & error_codes:
            found.append(text)
    return found


def _check_plain(page: Any) -> None:
    page.wait_for_load_state("load")
    page.wait_for_selector("body")
    leaks = _leaks(page.evaluate(WALK))
    assert leaks == [], leaks


def test_light_request_through_a_correction_to_approval_and_undo(browser: Any, page: Any, server: Server) -> None:
    _check_plain(page)
    page.fill("#prompt", "change the pen colour")
    page.click("#propose")
    page.wait_for_selector("#correction")
    _check_plain(page)
    shot(page, "studio-light-correction.png")
    assert axe(browser, server, "/light", page.context.cookies()) == []  # the chips and the guided answer
    page.locator("#correction .chip").first.click()
    page.wait_for_selector("#light-approve")
    assert page.locator("#cards .card").count() >= 1
    _check_plain(page)
    page.click("#light-approve")
    assert "Applied" in page.locator("#light-state").inner_text()
    _check_plain(page)
    page.click("#light-undo")
    assert "Undone" in page.locator("#light-state").inner_text()
    _check_plain(page)
    tx_link = page.locator("#surface .tx-title").first
    tx_link.click()
    _check_plain(page)


def test_light_layout_change_shows_the_board_before_and_after(browser: Any, page: Any, server: Server) -> None:
    page.fill("#prompt", "put the input panel on the left")
    page.check("#device-tablet")
    page.click("#propose")
    page.wait_for_selector("#result")
    if page.locator("#correction").count():
        page.locator("#correction .chip").first.click()
    page.wait_for_selector("#boards svg.board")
    assert page.locator("#boards figure").count() >= 1
    assert page.locator("#boards svg.board").count() == 2 * page.locator("#boards figure").count()
    _check_plain(page)
    shot(page, "studio-light.png", full=True)
    assert axe(browser, server, "/light", page.context.cookies()) == []  # boards, cards and buttons too
    page.click("#light-reject")
    page.wait_for_selector("#surface [data-state=REJECTED]")
    _check_plain(page)


def test_rejecting_changes_nothing(page: Any, server: Server) -> None:
    page.fill("#prompt", "make the pen dark blue")
    page.click("#propose")
    page.wait_for_selector("#light-reject")
    page.click("#light-reject")
    page.wait_for_selector("#surface [data-state=REJECTED]")
    assert page.locator("#surface [data-state=REJECTED]").count() == 1
    _check_plain(page)
