"""``modgate layout``: the light-track.md §5 shape, the table, stored preferences, coded errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from tests.clihelp import run, run_json, run_process

from modgate.adapt import DEVICES, resolve_layout

TARGET_KEYS = ["profileId", "viewport", "resolutionStatus", "panels", "toolPalette", "launcher", "canvasArea",
               "launcherReachable", "closeRecoverReachable", "deterministicHash"]


def test_json_is_exactly_the_light_track_shape() -> None:
    code, out = run_json("layout")
    assert code == 0 and list(out) == ["ok", "targets"] and out["ok"] is True
    assert list(out["targets"]) == list(DEVICES)
    for entry in out["targets"].values():
        assert list(entry) == TARGET_KEYS
        assert list(entry["panels"]) == ["dataInput", "toolbarAux"]
        for panel in entry["panels"].values():
            assert list(panel) == ["mode", "rect"] and panel["mode"] in ("docked", "windowed", "sheet", "collapsed")
        assert list(entry["launcher"]) == ["rect", "visible"]
        assert list(entry["viewport"]) == ["width", "height"]
    assert out["targets"]["tablet"]["viewport"] == {"width": 768, "height": 1024}
    assert out["targets"]["mobile"]["viewport"] == {"width": 390, "height": 844}


def test_device_and_viewport() -> None:
    code, out = run_json("layout", "--device", "tablet", "--device", "web", "--device", "tablet",
                         "--viewport", "1180x820")
    assert code == 0 and list(out["targets"]) == ["web", "tablet"]
    assert out == resolve_layout(None, ["web", "tablet"], "1180x820").layout_view()
    tablet = out["targets"]["tablet"]
    assert tablet["panels"]["dataInput"]["rect"] == {"x": 860, "y": 60, "width": 320, "height": 700}


def test_table_without_json() -> None:
    code, out, _ = run("layout", "--device", "tablet")
    assert code == 0
    assert "tablet  tablet.docked_dual.v1  768x1024  normal" in out
    assert "dataInput    docked     x=448 y=60 w=320 h=904" in out
    assert "repaired: launcherOcclusion toolbarAux -> shift-right" in out
    assert "sha256:" in out and not out.lstrip().startswith("{")


@pytest.mark.parametrize(("args", "code"), [
    (["--device", "phone"], "E_ADAPT_DEVICE_TARGET_INVALID"),
    (["--viewport", "0x0"], "E_ADAPT_VIEWPORT_INVALID"),
    (["--viewport", "wide"], "E_ADAPT_VIEWPORT_INVALID"),
    (["--viewport", "100000x100000"], "E_ADAPT_VIEWPORT_INVALID"),
])
def test_bad_arguments_are_coded(args: list[str], code: str) -> None:
    status, out = run_json("layout", *args)
    assert status == 1 and out["ok"] is False and out["code"] == code and out["message"]
    status, text, err = run("layout", *args)
    assert status == 1 and code in err and "Traceback" not in err + text


def _fake_runtime(state: dict[str, Any]) -> Any:
    @contextmanager
    def runtime(**_: Any) -> Iterator[Any]:
        yield SimpleNamespace(store=SimpleNamespace(state=lambda: state))
    return runtime


def test_reads_stored_preferences(monkeypatch: pytest.MonkeyPatch) -> None:
    state = {"prefs": {"layout": {"tablet": {"dataInput": "collapsed", "toolbarAux": "collapsed"}}},
             "local": {"chrome": {"toolbarPlacement": {"mode": "docked", "edge": "left"}}}}
    monkeypatch.setattr("modgate.cli.layout.runtime", _fake_runtime(state))
    code, out = run_json("layout", "--device", "tablet")
    tablet = out["targets"]["tablet"]
    assert code == 0 and tablet["panels"]["dataInput"] == {"mode": "collapsed", "rect": None}
    assert tablet["toolPalette"] == {"mode": "docked", "edge": "left"}
    assert tablet["canvasArea"] == 768 * 904


def test_bad_stored_preferences_are_coded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("modgate.cli.layout.runtime", _fake_runtime({"prefs": {"layout": {"web": {"canvas": 3}}}}))
    code, out = run_json("layout")
    assert (code, out["code"], out["path"]) == (1, "E_ADAPT_PREFERENCE_INVALID", "/prefs/layout/web/canvas")
    monkeypatch.setattr("modgate.cli.layout.runtime", _fake_runtime({"prefs": {"layout": []}}))
    assert run_json("layout")[1]["code"] == "E_ADAPT_PREFERENCE_INVALID"


def test_real_process_prints_one_object() -> None:
    proc = run_process("layout", "--device", "mobile", "--json")
    assert proc.returncode == 0 and proc.stdout.count('"ok"') == 1 and '"sheet"' in proc.stdout


def test_blocked_targets_are_shown_not_failed() -> None:
    code, out = run_json("layout", "--viewport", "100x150")
    assert code == 0 and {t["resolutionStatus"] for t in out["targets"].values()} == {"blocked_safe"}
    assert all(not t["launcherReachable"] and t["launcher"]["visible"] is False for t in out["targets"].values())
    code, text, _ = run("layout", "--device", "mobile", "--viewport", "100x150")
    assert code == 0 and "code: E_ADAPT_UNRECOVERABLE_GEOMETRY" in text and "HIDDEN" in text
