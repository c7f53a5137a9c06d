"""Browser tests: the real ``modgate studio`` server driven by Playwright in Debian's chromium.

Never a browser download: the tests launch /usr/bin/chromium (installed by ``.ci/run`` with
apt-get) and skip, with the reason, when it or Playwright is missing.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
VENDOR = Path(__file__).resolve().parent / "vendor"

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if Path(str(item.fspath)).resolve().parent == here:
            item.add_marker(pytest.mark.browser)


@dataclass(frozen=True, slots=True, kw_only=True)
class Server:
    url: str  # the printed sign-in link, with its token
    base: str
    home: Path
    process: subprocess.Popen[str]


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    threading.Thread(target=lambda: lines.put(proc.stdout.readline() if proc.stdout else ""), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return ""


@pytest.fixture
def server(modgate_home: Path) -> Iterator[Server]:
    env = {**os.environ, "MODGATE_HOME": str(modgate_home)}
    proc = subprocess.Popen([sys.executable, "-m", "modgate", "studio", "--no-browser", "--port", "0", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = _first_line(proc, 30)
        died = proc.poll() is not None and proc.stderr is not None
        assert line, f"the studio printed no link: {proc.stderr.read() if died and proc.stderr else ''}"
        url = orjson.loads(line)["url"]
        yield Server(url=url, base=url.split("/?")[0], home=modgate_home, process=proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python (the dev extra)")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=False)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    opened.goto(server.url)
    yield opened
    context.close()


def shot(page: Any, name: str, *, full: bool = False) -> None:
    """Save a screenshot for the docs; a picture is not an assertion, so a busy machine's
    "Unable to capture screenshot" is retried once and then only reported."""
    from playwright.sync_api import Error

    IMG.mkdir(parents=True, exist_ok=True)
    for attempt in range(2):
        try:
            page.screenshot(path=str(IMG / name), full_page=full)
            return
        except Error as exc:
            if attempt:
                print(f"screenshot {name} not saved: {exc}")
            page.wait_for_timeout(200)


def axe(browser: Any, server: Server, path: str, cookies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """WCAG 2 A/AA violations on ``path`` (axe-core, injected into a CSP-bypassing context)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    try:
        context.add_cookies(cookies)
        checked = context.new_page()
        checked.goto(server.base + path)
        checked.add_script_tag(content=(VENDOR / "axe-core" / "axe.min.js").read_text(encoding="utf-8"))
        result = checked.evaluate("""async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}));
        }""")
        violations: list[dict[str, Any]] = result
        return violations
    finally:
        context.close()
