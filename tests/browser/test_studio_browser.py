"""End to end in chromium: the heavy lane, the mode switch rules, live updates, security, accessibility."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from tests.browser.conftest import Server, axe, shot
from tests.studiohelp import broken_package_text, hold_applying, package_text

from modgate import tx as txapi
from modgate.app import open_runtime

pytestmark = pytest.mark.browser


def _cli(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modgate", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "MODGATE_HOME": str(server.home)}, check=False)


def _to_heavy(page: Any) -> None:
    if page.locator("body").get_attribute("data-mode") != "heavy":
        page.click("#mode-switch")
        if page.locator("#choice-switch").count():
            page.click("#choice-switch")
    page.wait_for_selector("body[data-mode=heavy]")


def _light_change(server: Server, colour: str = "#112233") -> str:
    rt = open_runtime(server.home)
    try:
        return str(txapi.preview(rt, [{"op": "replace", "path": "/local/tool/penColor", "value": colour}],
                                 title="Make the pen a darker blue.")["txId"])
    finally:
        rt.close()


def test_heavy_import_with_a_lint_error_then_a_fix(browser: Any, page: Any, server: Server) -> None:
    _to_heavy(page)
    page.fill("#package", broken_package_text())
    page.click("#lint")
    console = page.locator("#console")
    assert "unknown-command-id" in console.inner_text() and "hint" in console.inner_text()
    page.click("#import")
    assert "noSuchCommand" in page.locator(".msg-error").inner_text()
    assert "unknown-command-id" in page.locator("#console li").first.inner_text()
    page.locator("#console").scroll_into_view_if_needed()
    shot(page, "studio-heavy-lint.png")
    assert axe(browser, server, "/heavy", page.context.cookies()) == []  # console, hints and messages
    page.fill("#package", package_text())
    page.click("#lint")
    assert "No problems found" in page.locator("#console li").first.inner_text()
    page.click("#import")
    row = page.locator("#pending [data-tx=tx-1]")
    assert row.get_attribute("data-state") == "APPROVAL_PENDING"
    row.get_by_role("button", name="Approve this preview").click()
    page.locator("#pending [data-tx=tx-1]").get_by_role("button", name="Apply").click()
    assert page.locator("#recent [data-tx=tx-1]").get_attribute("data-state") == "APPLIED"
    shot(page, "studio-heavy.png")
    page.goto(server.base + "/heavy/graph?module=quiz-tools")
    assert page.locator("svg.graph").count() == 1 and "setTool" in page.locator("#graph-table").inner_text()
    shot(page, "studio-graph.png")
    assert axe(browser, server, "/heavy/graph?module=quiz-tools", page.context.cookies()) == []
    page.goto(server.base + "/heavy")
    page.locator("#recent [data-tx=tx-1]").get_by_role("button", name="Roll back").click()
    assert page.locator("#recent [data-tx=tx-1]").get_attribute("data-state") == "ROLLED_BACK"


def test_mode_switch_keep_discard_stay(page: Any, server: Server) -> None:
    _to_heavy(page)
    page.fill("#package", package_text())
    page.click("#import")
    page.click("#mode-switch")
    assert page.url.endswith("/mode/confirm?target=light")
    shot(page, "studio-mode-confirm.png")
    page.click("#choice-stay")
    assert page.locator("body").get_attribute("data-mode") == "heavy"
    page.click("#mode-switch")
    page.click("#choice-keep")
    assert page.locator("body").get_attribute("data-mode") == "light"
    assert page.locator("[data-tx=tx-1]").get_attribute("data-state") == "APPROVAL_PENDING"
    page.click("#mode-switch")
    assert page.locator("body").get_attribute("data-mode") == "heavy"  # no pending draft in light: direct
    page.click("#mode-switch")
    page.click("#choice-discard")
    assert page.locator("[data-tx=tx-1]").get_attribute("data-state") == "REJECTED"


def test_mode_switch_blocked_while_applying(page: Any, server: Server) -> None:
    tx_id = _light_change(server)
    rt = open_runtime(server.home)
    txapi.approve(rt, tx_id)
    rt.close()
    hold_applying(server.home, tx_id)  # another process dies right after recording APPLYING
    page.reload()
    assert "being applied" in page.locator("#safety-status").inner_text()
    page.click("#mode-switch")
    assert page.locator("body").get_attribute("data-mode") == "light"
    assert "cannot switch modes" in page.locator(".msg-error").inner_text()
    shot(page, "studio-blocked.png")
    page.get_by_role("button", name="Finish interrupted changes").click()
    assert page.locator(f"[data-tx={tx_id}]").get_attribute("data-state") == "APPROVED"
    page.click("#mode-switch")
    page.wait_for_selector("body[data-mode=heavy]")


def test_a_cli_approval_shows_up_live(page: Any, server: Server) -> None:
    tx_id = _light_change(server)
    page.reload()
    page.wait_for_selector("body[data-live=on]")
    assert page.locator(f"[data-tx={tx_id}]").get_attribute("data-state") == "APPROVAL_PENDING"
    done = _cli(server, "tx", "approve", tx_id, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    page.wait_for_selector(f"[data-tx={tx_id}][data-state=APPROVED]", timeout=10_000)
    assert int(page.locator("body").get_attribute("data-updates") or 0) >= 1
    shot(page, "studio-light-surface.png")


def test_requests_without_token_or_csrf_are_refused(browser: Any, page: Any, server: Server) -> None:
    stranger = browser.new_context()
    try:
        other = stranger.new_page()
        for path in ("/", "/heavy", "/light", "/fragment/surface", "/static/studio.css"):
            response = other.goto(server.base + path)
            assert response is not None and response.status == 401, path
    finally:
        stranger.close()
    status = page.evaluate("""async () => {
        const r = await fetch('/mode', {method: 'POST', body: new URLSearchParams({target: 'heavy'})});
        return r.status; }""")
    assert status == 403
    assert page.locator("body").get_attribute("data-mode") == "light"


def test_keyboard_only_switch_and_skip_link(page: Any, server: Server) -> None:
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.focus("#mode-switch")
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-mode=heavy]")
    page.focus("#package")
    page.keyboard.type('{"packageAbiVersion": 1}')
    for _ in range(5):  # textarea → file input → Lint, by keyboard only
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "lint":
            break
    assert page.evaluate("document.activeElement.id") == "lint"
    page.keyboard.press("Enter")
    page.wait_for_selector("#console li")
    assert "hint:" in page.locator("#console").inner_text()


@pytest.mark.parametrize("path", ["/light", "/heavy", "/heavy/grants", "/heavy/graph", "/extensions",
                                  "/mode/confirm?target=heavy", "/tx/tx-1"])
def test_wcag_aa_with_axe(browser: Any, page: Any, server: Server, path: str) -> None:
    _light_change(server)
    if path != "/light" and not path.startswith("/mode"):
        _to_heavy(page)
    violations = axe(browser, server, path, page.context.cookies())
    assert violations == [], violations


def test_axe_reports_low_contrast(browser: Any, page: Any, server: Server) -> None:
    """The accessibility check can fail: a grey-on-grey paragraph is a colour-contrast violation."""
    context = browser.new_context(bypass_csp=True)
    try:
        context.add_cookies(page.context.cookies())
        checked = context.new_page()
        checked.goto(server.base + "/light")
        checked.evaluate("""() => { const p = document.createElement('p'); p.textContent = 'faint words here';
            p.style.color = '#bbbbbb'; p.style.background = '#ffffff'; document.querySelector('main').append(p); }""")
        from tests.browser.conftest import VENDOR

        checked.add_script_tag(content=(VENDOR / "axe-core" / "axe.min.js").read_text(encoding="utf-8"))
        ids = checked.evaluate("async () => (await axe.run(document)).violations.map(v => v.id)")
        assert "color-contrast" in ids
    finally:
        context.close()


def test_extensions_page(browser: Any, page: Any, server: Server) -> None:
    from pathlib import Path

    from modgate.app import open_runtime as open_home
    from modgate.ext.installer import Installer

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "mods" / "prompt-kit"
    with open_home(server.home) as rt:
        inst = Installer(rt.tx, rt.home)
        inst.allow_executable(True)
        installed = inst.install(str(fixture), host="codexchat", consent=lambda review: True)
    _to_heavy(page)
    page.goto(server.base + "/extensions")
    assert installed["mod"]["id"] in page.locator("#mods").inner_text()
    page.locator("#mods").get_by_role("button", name="Disable").click()
    page.wait_for_selector("#mods >> text=disabled")
    shot(page, "studio-extensions.png")
    assert axe(browser, server, "/extensions", page.context.cookies()) == []
