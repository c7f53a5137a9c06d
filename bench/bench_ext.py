"""Extension benchmarks: package validation rate and local install latency (medians)."""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def _write(root: Path, version: str = "1.0.0") -> Path:
    ui = {"schemaVersion": 1, "manifest": {"id": "acme.bench", "name": "Bench", "version": version},
          "theme": {"palette": {"accentHex": "#112233"}},
          "hooks": [{"id": f"h{i}", "event": "command.executed", "handler": {"command": ["sh", "scripts/h.sh"]},
                     "permissions": {"projectRead": True}} for i in range(3)],
          "uiSlots": {"modsBar": {"enabled": True, "source": {"type": "handlerOutput", "hookId": "h0"}}}}
    codex = {"schemaVersion": 1, "id": "acme.bench", "name": "Bench", "version": version,
             "entrypoints": {"uiMod": "ui.mod.json"}, "permissions": ["projectRead"],
             "compatibility": {"platforms": ["*"]}}
    files = {"codex.mod.json": json.dumps(codex), "ui.mod.json": json.dumps(ui), "scripts/h.sh": "echo '{}'\n",
             "README.md": "# bench\n"}
    files.update({f"data/{i}.txt": f"data {i}\n" * 20 for i in range(10 - len(files))})
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def run(quick: bool) -> dict[str, Any]:
    from modgate.app import open_runtime
    from modgate.ext.installer import Installer
    from modgate.ext.manifest import HostRules, validate_package
    from modgate.ext.tree import DirReader
    from modgate.host import get_host

    with tempfile.TemporaryDirectory() as tmp:
        pkg = _write(Path(tmp) / "pkg")
        reader, rules = DirReader(pkg), HostRules.for_host(get_host("board"))
        rates = []
        for _ in range(5 if quick else 15):
            n, start = 200, time.perf_counter()
            for _ in range(n):
                validate_package(reader, package_path=str(pkg), rules=rules)
            rates.append(n / (time.perf_counter() - start))
        old = os.environ.get("MODGATE_HOME")
        os.environ["MODGATE_HOME"] = str(Path(tmp) / "home")
        rt = open_runtime()
        try:
            inst = Installer(rt.tx, rt.home)
            times = []
            for _ in range(10 if quick else 30):
                start = time.perf_counter()
                inst.install(str(pkg), consent=lambda _: True)
                times.append((time.perf_counter() - start) * 1000)
                inst.uninstall("acme.bench")
        finally:
            rt.close()
            if old is None:
                os.environ.pop("MODGATE_HOME", None)
            else:
                os.environ["MODGATE_HOME"] = old
    return {"ext": {"validate_per_s": round(statistics.median(rates)),
                    "install_local_ms": round(statistics.median(times), 2)}}


if __name__ == "__main__":
    print(json.dumps(run("--quick" in sys.argv)))
