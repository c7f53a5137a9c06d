"""The host registry, `modgate --host`, and homes that remember their host (issue 17)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.clihelp import run
from tests.fakehost import fake_host

from modgate.app import open_runtime, remembered_host
from modgate.errors import ModgateError
from modgate.host import get_host, host_names, register_host, unregister_host
from modgate.host.codexchat import codexchat_host
from modgate.host.model import Host

CASES = sorted((Path(__file__).parent / "cases" / "hosts").glob("*.json"))


def _raises() -> Host:
    raise RuntimeError("no database driver")


def _bad_schema() -> Host:
    host = fake_host()
    spec = dataclasses.replace(host.commands["setX"], payload_schema={"type": 12})
    return dataclasses.replace(host, commands={**host.commands, "setX": spec})


FACTORIES: dict[str, Any] = {"raises": _raises, "board": codexchat_host, "bad-schema": _bad_schema}


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    yield
    for name in ("broken-app", "tiny", "not-a-host"):
        unregister_host(name)


@pytest.mark.parametrize("case", [pytest.param(json.loads(p.read_text()), id=p.stem) for p in CASES])
def test_host_case(case: dict[str, Any]) -> None:
    if "register" in case:
        reg = case["register"]
        try:
            register_host(reg["name"], FACTORIES[reg["factory"]])
        except ModgateError as exc:
            assert exc.code == case["code"] and "args" not in case
            return
    if "setup" in case:
        assert run(*case["setup"])[0] == 0
    code, out, _ = run(*case["args"])
    body = json.loads(out)
    assert (code, body["code"]) == (case["exit"], case["code"]), body
    assert body["message"] and body["path"] == case.get("path", "host")


def test_builtin_names_resolve_and_unknown_is_coded() -> None:
    assert get_host("board").app_id == "board" and get_host("codexchat").app_id == "codexchat"
    with pytest.raises(ModgateError) as err:
        get_host("nope")
    assert err.value.code == "host-unknown" and "board" in err.value.message


def test_registered_host_and_replace() -> None:
    register_host("tiny", codexchat_host)
    assert get_host("tiny").app_id == "codexchat" and "tiny" in host_names()
    with pytest.raises(ModgateError):
        register_host("tiny", codexchat_host)
    register_host("tiny", codexchat_host(), replace=True)
    assert isinstance(get_host("tiny"), Host)


def test_a_factory_returning_no_host_is_load_failed() -> None:
    register_host("not-a-host", lambda: "board")  # type: ignore[arg-type,return-value]
    with pytest.raises(ModgateError) as err:
        get_host("not-a-host")
    assert err.value.code == "host-load-failed"


def _fake_distribution(root: Path, value: str) -> None:
    """A dist-info folder on sys.path: importlib.metadata finds its entry points as for an install."""
    info = root / "tinyapp-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tinyapp\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[modgate.hosts]\ntinyapp = {value}\n")


def test_entry_point_host_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_distribution(tmp_path, "modgate.host.codexchat:codexchat_host")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert get_host("tinyapp").app_id == "codexchat"
    assert "tinyapp" in host_names()


def test_broken_entry_point_is_load_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_distribution(tmp_path, "modgate.host.codexchat:missing")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModgateError) as err:
        get_host("tinyapp")
    assert err.value.code == "host-load-failed" and "AttributeError" in err.value.message


def test_home_remembers_its_host(modgate_home: Path) -> None:
    assert remembered_host(modgate_home) is None and not modgate_home.exists()
    open_runtime(modgate_home, "codexchat").close()
    assert remembered_host(modgate_home) == "codexchat"
    with open_runtime(modgate_home) as rt:  # no host given: the home's own
        assert rt.host.app_id == "codexchat"
    with pytest.raises(ModgateError) as err:
        open_runtime(modgate_home, "board")
    assert err.value.code == "home-host-mismatch"
    assert err.value.problem.detail == {"homeHost": "codexchat", "requestedHost": "board"}


def test_home_from_before_adopts_the_first_host(modgate_home: Path) -> None:
    with open_runtime(modgate_home, "board") as rt:
        rt.bus.dispatch("setTool", {"tool": "hand"})
        rt.db.execute("DELETE FROM meta WHERE key='host'")  # as written before homes remembered hosts
    assert remembered_host(modgate_home) is None
    with open_runtime(modgate_home, "codexchat") as rt:
        assert rt.host.app_id == "codexchat"
    assert remembered_host(modgate_home) == "codexchat"


def test_unknown_host_creates_no_home(modgate_home: Path) -> None:
    with pytest.raises(ModgateError):
        open_runtime(modgate_home, "nope")
    assert not modgate_home.exists()


def test_group_option_reaches_commands_and_mod_host() -> None:
    code, out, _ = run("--host", "codexchat", "commands", "--json")
    assert code == 0 and json.loads(out)["host"] == "codexchat" and json.loads(out)["commands"] == []
    assert run("--host", "codexchat", "state", "--json")[0] == 0  # a reader claims nothing
    assert json.loads(run("commands", "--json")[1])["host"] == "board"
    assert run("--host", "codexchat", "mod", "list", "--json")[0] == 0  # a writer claims the home
    code, out, _ = run("commands", "--json")  # the home's host (codexchat) is now the default
    assert json.loads(out)["host"] == "codexchat"
    mod = str(Path(__file__).resolve().parent / "fixtures" / "mods" / "prompt-kit")
    code, out, _ = run("mod", "validate", mod, "--host", "nope", "--json")
    assert code == 1 and json.loads(out)["code"] == "host-unknown"
    code, out, _ = run("mod", "validate", mod, "--host", "board", "--json")  # its hooks hear CodexChat's events
    assert code == 1 and json.loads(out)["code"] == "package.event-not-declared"
    code, out, _ = run("mod", "validate", mod, "--host", "codexchat", "--json")
    assert code == 0 and json.loads(out)["id"] == "acme.prompt-kit"
    code, out, _ = run("mod", "validate", mod, "--json")  # the home's host, codexchat, by default
    assert code == 0


def test_help_reads_no_entry_points_and_builds_no_host() -> None:
    probe = ("import sys\nfrom modgate.cli import main\ntry:\n    main(['--host', 'notes', '--help'])\n"
             "except SystemExit:\n    pass\n"
             "print([m for m in ('importlib.metadata', 'modgate.host', 'modgate.app') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def _with(host: Host, **changes: Any) -> Host:
    return dataclasses.replace(host, **changes)


def _spec(host: Host, command_id: str, **changes: Any) -> Host:
    spec = dataclasses.replace(host.commands[command_id], **changes)
    return _with(host, commands={**host.commands, command_id: spec})


def _bad_initial() -> dict[str, Any]:
    raise ValueError("no notes file")


@pytest.mark.parametrize(("make", "path"), [
    (lambda h: _spec(h, "setX", writes=("/nowhere/x",)), "commands.setX.writes[0]"),
    (lambda h: _spec(h, "setX", mutation_scope="global"), "commands.setX.mutation_scope"),
    (lambda h: _spec(h, "setX", id="other"), "commands.setX.id"),
    (lambda h: _spec(h, "setX", handler=None), "commands.setX.handler"),
    (lambda h: _spec(h, "setX", payload_schema=[]), "commands.setX.payload_schema"),
    (lambda h: _with(h, commands={"setX": "nope"}), "commands.setX"),
    (lambda h: _with(h, state_domains=("doc", "sync", "local", "registry")), "state_domains"),
    (lambda h: _with(h, state_domains=("doc", "doc", "sync", "local")), "state_domains"),
    (lambda h: _with(h, initial_state=lambda: {"doc": {}, "sync": {}}), "initial_state.local"),
    (lambda h: _with(h, initial_state=_bad_initial), "initial_state"),
    (lambda h: _with(h, app_id="no spaces please"), "app_id"),
    (lambda h: _with(h, ui_slots=["toolbar"]), "ui_slots"),
    (lambda h: 42, ""),
], ids=lambda v: v if isinstance(v, str) else "")
def test_malformed_hosts_are_coded_and_create_no_home(make: Any, path: str, modgate_home: Path) -> None:
    with pytest.raises(ModgateError) as err:
        open_runtime(modgate_home, make(fake_host()))
    assert (err.value.code, err.value.problem.path) == ("host-invalid", path)
    assert not modgate_home.exists()


def test_well_formed_hosts_pass_the_checks() -> None:
    from modgate.host.checks import check_host

    for host in (fake_host(), get_host("board"), codexchat_host()):
        assert check_host(host) is host


def test_host_checks_are_pure_core() -> None:
    from tests.test_layering import FORBIDDEN, _closure

    assert not sorted(i for i in _closure("modgate.host.checks") if i.startswith(FORBIDDEN))
