"""The notes app's commands: metadata, payload schemas and pure handlers.

A handler gets a :class:`modgate.StateView` and the payload (already valid against its schema),
stages writes with ``view.set`` on the paths its command declares in ``writes``, and returns a
small JSON result. It does no I/O, so modgate can preview it, dry-run it and undo it.
"""

from __future__ import annotations

from typing import Any

from modgate import CommandSpec, HandlerError, StateView

OBJECT = {"type": "object", "additionalProperties": False}
NOTE_ID = {"type": "string", "pattern": "^n[0-9]+$"}
TEXT = {"type": "string", "minLength": 1, "maxLength": 500}


def _schema(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**OBJECT, "properties": {**required, **(optional or {})}, "required": sorted(required)}


def _note(view: StateView, note_id: str) -> dict[str, Any]:
    note = (view.get("/doc/notes") or {}).get(note_id)
    if note is None:
        raise HandlerError.make("command-execution-failed", f"no note {note_id!r}", "payload/noteId")
    return dict(note)


def _put(view: StateView, note_id: str, note: dict[str, Any]) -> None:
    view.set("/doc/notes", {**(view.get("/doc/notes") or {}), note_id: note})


def add_note(view: StateView, payload: dict[str, Any]) -> dict[str, Any]:
    number = int(view.get("/doc/nextId") or 1)
    note_id = f"n{number}"
    _put(view, note_id, {"title": payload["title"], "items": []})
    view.set("/doc/nextId", number + 1)
    return {"noteId": note_id}


def add_item(view: StateView, payload: dict[str, Any]) -> dict[str, Any]:
    note = _note(view, payload["noteId"])
    items = [*note["items"], {"text": payload["text"], "checked": False}]
    _put(view, payload["noteId"], {**note, "items": items})
    return {"index": len(items) - 1}


def check_item(view: StateView, payload: dict[str, Any]) -> dict[str, Any]:
    note = _note(view, payload["noteId"])
    index = payload["index"]
    if index >= len(note["items"]):
        raise HandlerError.make("command-execution-failed", f"note {payload['noteId']} has no item {index}",
                                "payload/index")
    items = [dict(item) for item in note["items"]]
    items[index]["checked"] = payload.get("checked", True)
    _put(view, payload["noteId"], {**note, "items": items})
    return {"checked": items[index]["checked"]}


def delete_note(view: StateView, payload: dict[str, Any]) -> dict[str, Any]:
    _note(view, payload["noteId"])
    notes = {k: v for k, v in (view.get("/doc/notes") or {}).items() if k != payload["noteId"]}
    view.set("/doc/notes", notes)
    return {"deleted": payload["noteId"]}


def setter(path: str, key: str) -> Any:
    """A handler that writes ``payload[key]`` at ``path`` (the settings commands)."""
    def handler(view: StateView, payload: dict[str, Any]) -> dict[str, Any]:
        view.set(path, payload[key])
        return {key: payload[key]}
    return handler


def spec(command_id: str, description: str, scope: str, handler: Any, schema: dict[str, Any],
         example: dict[str, Any], writes: tuple[str, ...], *, approval: bool = False) -> CommandSpec:
    return CommandSpec(id=command_id, description=description, mutation_scope=scope,  # type: ignore[arg-type]
                       requires_approval=approval, audit_tag=f"notes.{command_id}", undo_command=None,
                       idempotent=command_id.startswith(("set", "select")), writes=writes,
                       payload_schema=schema, payload_example=example, handler=handler)


NOTES = ("/doc/notes",)
COMMANDS = (
    spec("addNote", "Create a note with a title.", "doc", add_note, _schema({"title": TEXT}),
         {"title": "Groceries"}, ("/doc/notes", "/doc/nextId")),
    spec("addItem", "Add a checklist item to a note.", "doc", add_item, _schema({"noteId": NOTE_ID, "text": TEXT}),
         {"noteId": "n1", "text": "milk"}, NOTES),
    spec("checkItem", "Check (or uncheck) a checklist item.", "doc", check_item,
         _schema({"noteId": NOTE_ID, "index": {"type": "integer", "minimum": 0, "maximum": 999}},
                 {"checked": {"type": "boolean"}}), {"noteId": "n1", "index": 0}, NOTES),
    spec("deleteNote", "Delete a note and its items (approval-gated).", "doc", delete_note,
         _schema({"noteId": NOTE_ID}), {"noteId": "n1"}, NOTES, approval=True),
    spec("setSortOrder", "Sort notes by creation or by title, on every device.", "sync",
         setter("/sync/settings/sortBy", "sortBy"), _schema({"sortBy": {"enum": ["created", "title"]}}),
         {"sortBy": "title"}, ("/sync/settings/sortBy",)),
    spec("setCheckedStyle", "How checked items look: normal, grey or struck through.", "sync",
         setter("/sync/settings/checkedStyle", "style"), _schema({"style": {"enum": ["normal", "grey", "strike"]}}),
         {"style": "grey"}, ("/sync/settings/checkedStyle",)),
    spec("selectNote", "Open a note on this device.", "local", setter("/local/view/selectedNote", "noteId"),
         _schema({"noteId": {"anyOf": [NOTE_ID, {"type": "null"}]}}), {"noteId": "n1"},
         ("/local/view/selectedNote",)),
    spec("setShowChecked", "Show or hide checked items on this device.", "local",
         setter("/local/view/showChecked", "value"), _schema({"value": {"type": "boolean"}}), {"value": False},
         ("/local/view/showChecked",)),
)
