"""Finding 13: two module actions must never get the same MCP tool name."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.test_cli_graph import install
from tests.test_graph import package

from modgate.app import open_runtime
from modgate.mcp_server import Gateway, assign_names, tool_name


def _clashing_package() -> dict:  # type: ignore[type-arg]
    pkg = package("teacher-tools")
    literal = "say_hi-" + hashlib.sha256(b"say hi").hexdigest()[:8]
    assert tool_name("teacher-tools", "say hi") == f"teacher-tools.{literal}"  # the clash
    base = pkg["commandBindings"][0]
    pkg["commandBindings"] = [{**base, "bindingId": "say hi"}, {**base, "bindingId": literal}]
    return pkg


def test_clashing_names_are_disambiguated_deterministically(modgate_home: Path) -> None:
    install(_clashing_package())
    rt = open_runtime(modgate_home)
    try:
        infos = Gateway(rt).tools()[0]
        names = [t.name for t in infos]
        assert len(names) == len(set(names))
        owner = [(t.name, (t.meta or {}).get("modgate/action", {}).get("moduleId")) for t in infos]
        mine = sorted(name for name, module in owner if module == "teacher-tools")
        assert all(n.startswith("teacher-tools.") for n in mine)
        again = sorted(t.name for t in Gateway(rt).tools()[0] if t.name.startswith("teacher-tools."))
        assert mine == again
    finally:
        rt.close()


def test_the_valid_literal_name_keeps_its_name_whatever_the_order() -> None:
    literal = "say_hi-" + hashlib.sha256(b"say hi").hexdigest()[:8]
    pairs = [("m", "say hi"), ("m", literal)]
    one, two = assign_names(pairs), assign_names(list(reversed(pairs)))
    assert one == two
    assert one[("m", literal)] == f"m.{literal}"
    assert one[("m", "say hi")] != one[("m", literal)] and one[("m", "say hi")].startswith("m.")
