"""Studio figures (task 257).

* ``studio.tx_page_ms``: server time to render the shared transaction surface (data from the
  store + the template) with 1,000 transactions in the store — 700 waiting, 200 applied, 100
  rejected — median of repeats. Target <= 50 ms. The surface shows the first 100 waiting changes
  and links to ``/changes``, which lists all 700: ``studio.tx_all_pending_page_ms`` renders that
  page. ``studio.tx_page_http_ms`` is the surface fetched through the ASGI stack (Starlette
  TestClient, guard included).
* ``studio.start_ms``: from spawning ``modgate studio --no-browser --port 0 --json`` to the first
  200 answer of the printed sign-in link (token → cookie → page). Median of repeats. Target
  <= 1,500 ms.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchutil import median_ms

TX_COUNT = 1000


def _fill(home: Path) -> None:
    from modgate import tx as txapi
    from modgate.app import open_runtime

    rt = open_runtime(home)
    try:
        for i in range(TX_COUNT):
            shown = txapi.preview(rt, [{"op": "replace", "path": "/local/tool/penWidth", "value": i % 40 + 1}],
                                  title=f"pen width {i}")
            if i % 10 < 2:
                txapi.apply(rt, shown["txId"], txapi.approve(rt, shown["txId"])["approvalToken"])
            elif i % 10 == 2:
                rt.tx.reject(shown["txId"], reason="bench")
    finally:
        rt.close()


def _tx_page(home: Path, repeat: int) -> dict[str, float]:
    from starlette.testclient import TestClient

    from modgate.studio.app import create_app

    app = create_app(home)
    try:
        shell = app.shell
        render_ms = median_ms(lambda: shell.fragment("surface.html"), repeat=repeat)
        all_ms = median_ms(lambda: shell.page("changes.html", section="changes"), repeat=repeat)
        client = TestClient(app, base_url="http://127.0.0.1:8765")
        client.get(f"/?token={shell.keys.token}", follow_redirects=False)
        assert client.get("/fragment/surface").status_code == 200
        http_ms = median_ms(lambda: client.get("/fragment/surface"), repeat=repeat)
    finally:
        app.shell.studio.close()
    return {"tx_page_ms": render_ms, "tx_page_http_ms": http_ms, "tx_all_pending_page_ms": all_ms}


def _start_once(home: Path) -> float:
    env = {**os.environ, "MODGATE_HOME": str(home)}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "modgate", "studio", "--no-browser", "--port", "0", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert proc.stdout is not None
        url = json.loads(proc.stdout.readline())["url"]
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with opener.open(url, timeout=30) as response:
            assert response.status == 200
        return (time.perf_counter() - started) * 1000
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def run(quick: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        _fill(home)
        figures = _tx_page(home, 5 if quick else 20)
        figures["tx_count"] = TX_COUNT
        _start_once(home)  # warm the OS file cache
        figures["start_ms"] = round(statistics.median(_start_once(home) for _ in range(3 if quick else 7)), 1)
    figures["targets"] = {"tx_page_ms": 50, "start_ms": 1500}
    return {"studio": figures}


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
