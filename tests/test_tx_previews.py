from __future__ import annotations

from typing import Any

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from modgate.state import MISSING, Op
from modgate.tx.previews import build_preview, diff, entries_for, preview_hash, redact

BASE = {"doc": {"a": 1, "b": {"c": [1, 2], "d": "x"}}, "local": {"tool": {"penColor": "#FFF"}}}


def _preview(ops: list[Op], state: dict[str, Any] = BASE) -> dict[str, Any]:
    return build_preview(tx_id="tx-1", attempt_no=1, track="heavy", base_revision="doc=1", candidate_revision="doc=2",
                         generated_at="2026-01-01T00:00:00.000Z", before=state, ops=ops)


def test_keyed_diff_descends_objects_not_arrays() -> None:
    assert diff({"a": 1, "b": {"c": 2}}, {"a": 1, "b": {"c": 3, "e": 4}}, "") == [
        ("replace", "/b/c", 2, 3), ("add", "/b/e", MISSING, 4)]
    assert diff([1, 2], [1, 3], "/l") == [("replace", "/l", [1, 2], [1, 3])]


def test_entries_have_explicit_nulls_and_sorted_order() -> None:
    entries = entries_for(BASE, [Op("replace", "/local/tool/penColor", "#000"), Op("add", "/doc/z", {"k": 1}),
                                 Op("remove", "/doc/a")])
    assert [(e["scope"], e["path"], e["op"]) for e in entries] == [
        ("doc", "/doc/a", "remove"), ("doc", "/doc/z", "add"), ("local", "/local/tool/penColor", "replace")]
    assert entries[0]["after"] is None and entries[1]["before"] is None
    assert list(entries[0]["roleViews"]) == ["agent", "host", "student"]


def test_summary_and_hash() -> None:
    preview = _preview([Op("replace", "/doc/a", 2), Op("add", "/doc/n", 1)])
    assert preview["summary"] == {"add": 1, "remove": 0, "replace": 1, "move": 0}
    body = {k: v for k, v in preview.items() if k != "previewHash"}
    import hashlib

    assert preview["previewHash"] == "sha256:" + hashlib.sha256(rfc8785.dumps(body)).hexdigest()
    assert preview_hash(preview) == preview["previewHash"]


def test_registry_entities() -> None:
    state = {"registry": {"modules": {}}}
    entries = entries_for(state, [Op("add", "/registry/modules/geo-tools", {"moduleId": "geo-tools"})])
    assert (entries[0]["scope"], entries[0]["entityType"], entries[0]["entityId"]) == ("registry", "module",
                                                                                         "geo-tools")


def test_redaction_keeps_shape() -> None:
    value, redacted = redact({"apiToken": "s3cret", "n": 1, "nested": {"password": ["a"]}}, "/x")
    assert redacted and value == {"apiToken": "[redacted]", "n": 1, "nested": {"password": ["[redacted]"]}}


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=5))
json_value = st.recursive(json_leaf, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                             st.dictionaries(st.text(max_size=4), kids, max_size=3)),
                          max_leaves=10)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), json_value, max_size=3),
       st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), json_value), max_size=4))
def test_previews_are_deterministic(doc: dict[str, Any], writes: list[tuple[str, Any]]) -> None:
    ops = [Op("replace", f"/doc/{k}", v) for k, v in writes]
    first, second = _preview(ops, {"doc": doc}), _preview(ops, {"doc": doc})
    assert first == second and rfc8785.dumps(first) == rfc8785.dumps(second)
