"""Golden cases for the bus, store and CLI codes (tests/cases/{bus,store,cli}/*.json)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from tests.clihelp import run
from tests.fakehost import fake_host

from modgate.app import migrations, open_runtime
from modgate.bus import Bus
from modgate.bus_memory import MemoryBusStore
from modgate.errors import StoreError
from modgate.host import get_host
from modgate.store import audit
from modgate.store.db import Database

MIGRATIONS = migrations()

CASES = Path(__file__).parent / "cases"


def _cases(area: str) -> list[Any]:
    return [pytest.param(json.loads(p.read_text()), id=p.stem) for p in sorted((CASES / area).glob("*.json"))]


def _bus(case: dict[str, Any]) -> Bus:
    host = fake_host() if case.get("host") == "fake" else get_host("board")
    store = MemoryBusStore(host.initial_state())
    if case.get("queue") == "broken":
        def broken(item: object, events: object) -> str:
            raise StoreError.make("store-readonly", "read-only")

        store.enqueue = broken  # type: ignore[method-assign]
    return Bus(host, store, queue_enabled=case.get("queue") != "disabled")


@pytest.mark.parametrize("case", _cases("bus"))
def test_bus_case(case: dict[str, Any]) -> None:
    bus = _bus(case)
    for command_id, payload, role in case.get("setup", []):
        bus.dispatch(command_id, payload, role=role)
    if "approve" in case:
        out = bus.approve(case["approve"])
        if case.get("approveTwice"):
            out = bus.approve(case["approve"])
    else:
        command_id, payload, role = case["dispatch"]
        out = bus.dispatch(command_id, payload, role=role)
    assert out["ok"] is False and out["code"] == case["code"], out
    assert out["message"]
    if "path" in case:
        assert out["path"] == case["path"]


def _scenario(name: str, home: Path) -> str:
    db_path = home / "modgate.sqlite3"
    rt = open_runtime(home)
    rt.bus.dispatch("setTool", {"tool": "hand"})
    rt.close()
    try:
        if name == "locked":
            holder = sqlite3.connect(db_path, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            try:
                with Database(db_path, busy_timeout_ms=50).atomic():
                    pass
            finally:
                holder.close()
        elif name == "readonly":
            db = Database(db_path)
            db.execute("PRAGMA query_only=ON")
            with db.atomic() as conn:
                conn.execute("UPDATE meta SET value='9' WHERE key='revision'")
        elif name == "corrupt":
            db_path.write_bytes(b"garbage" * 1000)
            for extra in home.glob("modgate.sqlite3-*"):
                extra.unlink()
            open_runtime(home)
        elif name == "other-sqlite-error":
            Database(db_path).execute("SELECT * FROM no_such_table")
        elif name == "newer-schema":
            Database(db_path).execute("INSERT INTO schema_migrations(name) VALUES ('9999_future')")
            Database(db_path).migrate(MIGRATIONS)
        elif name == "tampered-audit":
            conn = sqlite3.connect(db_path)
            conn.execute("DROP TRIGGER audit_no_update")
            conn.execute("UPDATE audit SET role='student' WHERE seq=1")
            conn.commit()
            conn.close()
            result = audit.verify(Database(db_path))
            return "audit-chain-broken" if not result["ok"] else "ok"
    except StoreError as exc:
        return exc.code
    return "no error"


@pytest.mark.parametrize("case", _cases("store"))
def test_store_case(case: dict[str, Any], modgate_home: Path) -> None:
    assert _scenario(case["scenario"], modgate_home) == case["code"]


@pytest.mark.parametrize("case", _cases("cli"))
def test_cli_case(case: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if case.get("inject") == "runtime-crash":
        import modgate.cli.core as core

        monkeypatch.setattr(core, "open_runtime", lambda: 1 / 0)
    monkeypatch.chdir(tmp_path)
    from modgate.modules.starter import new_module_package

    (tmp_path / "good.json").write_text(json.dumps(new_module_package("geo-tools")))
    (tmp_path / "geo-tools.json").write_text("{}")
    (tmp_path / "bad.json").write_text('{"packageAbiVersion": 2}')
    args = [a.replace("{good}", str(tmp_path / "good.json")).replace("{bad}", str(tmp_path / "bad.json"))
            for a in case["args"]]
    code, out, _ = run(*args)
    body = json.loads(out)
    assert code == case.get("exit", 1) and body["code"] == case["code"]
