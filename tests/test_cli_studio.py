"""``modgate studio`` as a real process: the link is printed (flushed) once the socket accepts."""

from __future__ import annotations

import http.cookiejar
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from tests.clihelp import run


def test_help_lists_the_options() -> None:
    code, out, _ = run("studio", "--help")
    assert code == 0 and all(opt in out for opt in ("--bind", "--port", "--no-browser", "--json"))


def test_serves_the_printed_link_only(modgate_home: Path) -> None:
    env = {**os.environ, "MODGATE_HOME": str(modgate_home)}
    proc = subprocess.Popen([sys.executable, "-m", "modgate", "studio", "--no-browser", "--port", "0", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        url, base = ready["url"], ready["url"].split("/?")[0]
        assert ready["ok"] is True and url.startswith("http://127.0.0.1:") and "?token=" in url
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + "/light", timeout=10)
        assert refused.value.code == 401
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with opener.open(url, timeout=10) as page:
            assert page.status == 200 and b"modgate studio" in page.read()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert proc.returncode is not None
    assert ready["url"] not in (proc.stderr.read() if proc.stderr else "")  # the token is not logged
