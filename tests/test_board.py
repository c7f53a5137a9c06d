"""The board host: catalog metadata, payload examples, declared writes, undo/redo deviation."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema_rs
import pytest
from tests.sharedpaths import REASON, SHARED, shared

from modgate.host.board import board_host, load_catalog, running_platform_id
from modgate.host.board_doc import initial_state
from modgate.host.model import CommandSpec
from modgate.state import JsonObject, StateView, apply_ops, path_within

REFERENCE = shared("reference", "board-commands.json")
HOST = board_host()
CATALOG: list[JsonObject] = load_catalog()["commands"]
COMMAND_IDS = sorted(entry["id"] for entry in CATALOG)
UUID_PAGE = "5b0f6c1e-2d3a-4c8e-9f1a-7e2b3c4d5e6f"
INTRO = {"id": "blk-intro", "segments": [{"id": "s", "type": "text", "orderIndex": 0, "html": "x"}]}


def example_state() -> JsonObject:
    """A state every payload example can run against: blk-intro exists, the uuid page exists."""
    state = initial_state()
    state["doc"]["stepBlocks"] = [INTRO, {"id": "blk-2", "segments": []}]
    state["doc"]["pages"][UUID_PAGE] = []
    state["doc"]["pageOrder"].append(UUID_PAGE)
    state["doc"]["pageColumnCounts"][UUID_PAGE] = 2
    state["sync"]["currentStep"] = 1  # so prevStep has somewhere to go
    return state


def run(spec: CommandSpec, state: JsonObject, payload: Any) -> tuple[Any, JsonObject, StateView]:
    view = StateView(state)
    if spec.normalize is not None:
        payload = spec.normalize(payload)
    result = spec.handler(view, payload)
    return result, apply_ops(state, view.ops()), view


def test_host_identity() -> None:
    assert HOST.app_id == "board"
    assert HOST.app_version == "10.4.0"
    assert HOST.platform_ids == ("*", running_platform_id())
    assert HOST.ui_slots == ("chrome-top-toolbar", "left-panel", "toolbar-inline", "toolbar-bottom")
    assert HOST.state_domains == ("doc", "sync", "local", "prefs")
    assert "command.executed" in HOST.event_names
    assert board_host() is HOST


@pytest.mark.parametrize(
    ("name", "expected"),
    [("linux", "linux"), ("darwin", "macos"), ("win32", "windows"), ("cygwin", "windows"), ("freebsd14", "linux")],
)
def test_running_platform_id(name: str, expected: str) -> None:
    assert running_platform_id(name) == expected


@pytest.mark.conformance
@pytest.mark.skipif(SHARED is None, reason=REASON)
def test_shipped_catalog_matches_reference() -> None:
    if not REFERENCE.exists():
        pytest.skip("reference catalog not available")
    assert load_catalog() == json.loads(REFERENCE.read_text(encoding="utf-8"))


def test_all_38_commands_registered() -> None:
    assert len(COMMAND_IDS) == 38
    assert sorted(HOST.commands) == COMMAND_IDS
    assert [c.id for c in HOST.sorted_commands()] == COMMAND_IDS


def test_initial_state_has_every_document_model_field() -> None:
    state = HOST.initial_state()
    for scope in load_catalog()["documentModel"]["scopes"].values():
        for entry in scope["fields"]:
            tokens = entry["path"].strip("/").split("/")
            node: Any = state
            for token in tokens:
                assert token in node, entry["path"]
                node = node[token]


@pytest.mark.parametrize("entry", CATALOG, ids=lambda e: e["id"])
def test_metadata_from_catalog(entry: JsonObject) -> None:
    spec = HOST.commands[entry["id"]]
    assert spec.description == entry["description"]
    assert spec.mutation_scope == entry["mutationScope"]
    assert spec.requires_approval == entry["requiresApproval"]
    assert spec.audit_tag == entry["auditTag"]
    assert spec.undo_command == entry.get("undoCommand")
    assert spec.payload_schema == entry["payloadSchema"]
    assert spec.payload_example == entry["payloadExample"]
    assert spec.idempotent == entry["id"].startswith(("set", "goTo"))
    if spec.journal_action is None:
        assert spec.writes == tuple(entry["writes"])
    meta = spec.metadata()
    assert meta["id"] == entry["id"] and meta["writes"] == list(spec.writes)


@pytest.mark.parametrize("command_id", COMMAND_IDS)
def test_payload_example_passes_schema(command_id: str) -> None:
    spec = HOST.commands[command_id]
    validator = jsonschema_rs.validator_for(spec.payload_schema)
    assert validator.is_valid(spec.payload_example)


@pytest.mark.parametrize("command_id", [c for c in COMMAND_IDS if c not in ("undo", "redo")])
def test_payload_example_runs_within_writes(command_id: str) -> None:
    spec = HOST.commands[command_id]
    state = example_state()
    before = copy.deepcopy(state)
    result, new, view = run(spec, state, spec.payload_example)
    assert state == before, "handler mutated its input state"
    assert isinstance(result, dict)
    json.dumps(result)  # JSON-safe
    assert view.staged_paths, "handler staged nothing"
    for path in view.staged_paths:
        assert path_within(path, spec.writes), (command_id, path)
    for op in view.ops():
        assert path_within(op.path, spec.writes)
    assert set(new) == {"doc", "sync", "local"}


@pytest.mark.parametrize("command_id", ["undo", "redo"])
def test_undo_redo_are_journal_actions(command_id: str) -> None:
    spec = HOST.commands[command_id]
    assert spec.journal_action == command_id
    assert "deviation" in spec.notes
    doc_writes = {w for e in CATALOG if e["mutationScope"] == "doc" for w in e["writes"]}
    assert spec.writes == tuple(sorted(doc_writes))
    assert "/doc/stepBlocks" in spec.writes and "/sync/currentStep" in spec.writes
    with pytest.raises(Exception) as info:
        spec.handler(StateView(initial_state()), {})
    assert getattr(info.value, "code", None) == "command-execution-failed"


def test_other_commands_are_not_journal_actions() -> None:
    assert {c.id for c in HOST.commands.values() if c.journal_action} == {"undo", "redo"}


def test_notes_carry_catalog_notes() -> None:
    assert "payloadNotes" in HOST.commands["setPenColor"].notes
    assert "executionNotes" in HOST.commands["deleteBlock"].notes


@pytest.mark.parametrize("command_id", COMMAND_IDS)
def test_normalized_null_payload(command_id: str) -> None:
    """Exactly the commands whose payloadNotes say so accept null as {}."""
    spec = HOST.commands[command_id]
    notes = spec.notes.get("payloadNotes", "")
    accepts_null = "null or omitted payload is accepted" in notes
    normalized = spec.normalize(None) if spec.normalize is not None else None
    valid = jsonschema_rs.validator_for(spec.payload_schema).is_valid(normalized)
    assert valid == accepts_null


@pytest.mark.parametrize(
    ("command_id", "payload", "key", "expected"),
    [
        ("setTool", {"tool": "  laser "}, "tool", "laser"),
        ("setViewMode", {"mode": "\tedit\n"}, "mode", "edit"),
        ("setPenType", {"penType": " pencil"}, "penType", "pencil"),
        ("setLaserType", {"laserType": "highlighter "}, "laserType", "highlighter"),
        ("insertBreak", {"type": " column "}, "type", "column"),
        ("setPenColor", {"color": " #1e90ff "}, "color", "#1E90FF"),
        ("setLaserColor", {"color": "#ff3b30"}, "color", "#FF3B30"),
        ("goToPage", {"pageId": " page-1 "}, "pageId", "page-1"),
        ("deleteBlock", {"blockId": " blk-intro"}, "blockId", "blk-intro"),
    ],
)
def test_normalize_then_schema(command_id: str, payload: JsonObject, key: str, expected: str) -> None:
    spec = HOST.commands[command_id]
    assert spec.normalize is not None
    original = copy.deepcopy(payload)
    normalized = spec.normalize(payload)
    assert payload == original, "normalizer mutated its input"
    assert normalized[key] == expected
    assert jsonschema_rs.validator_for(spec.payload_schema).is_valid(normalized)


def test_non_strings_left_for_schema_to_reject() -> None:
    spec = HOST.commands["setTool"]
    assert spec.normalize is not None
    assert spec.normalize({"tool": 3}) == {"tool": 3}
    assert spec.normalize([1]) == [1]
    assert not jsonschema_rs.validator_for(spec.payload_schema).is_valid(spec.normalize({"tool": 3}))
    assert HOST.commands["goToPage"].normalize is not None
    assert HOST.commands["goToPage"].normalize(None) is None  # null stays null: rejected


def test_padded_block_ids_are_trimmed() -> None:
    spec = HOST.commands["updateBlock"]
    assert spec.normalize is not None
    payload = {
        "blockId": " b ",
        "block": {
            "id": "b\n",
            "kind": " content ",
            "segments": [{"id": " s ", "type": " image", "orderIndex": 0, "src": " u ", "width": 1, "height": 1}],
        },
    }
    out = spec.normalize(payload)
    assert out["blockId"] == out["block"]["id"] == "b"
    assert out["block"]["kind"] == "content"
    assert out["block"]["segments"][0] == {
        "id": "s",
        "type": "image",
        "orderIndex": 0,
        "src": "u",
        "width": 1,
        "height": 1,
    }
    assert jsonschema_rs.validator_for(spec.payload_schema).is_valid(out)
    assert payload["blockId"] == " b "


def test_schema_tightenings_enforced() -> None:
    dock = jsonschema_rs.validator_for(HOST.commands["setToolbarDock"].payload_schema)
    assert dock.is_valid({"mode": "floating"})
    assert not dock.is_valid({"mode": "docked"})
    assert not dock.is_valid({"edge": "left", "mode": "sideways"})
    column = jsonschema_rs.validator_for(HOST.commands["setColumnCount"].payload_schema)
    assert not column.is_valid({"count": 2.5}) and not column.is_valid({"count": 5})
