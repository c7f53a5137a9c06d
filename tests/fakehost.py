"""A tiny host for bus and store tests that do not need the board."""

from __future__ import annotations

from typing import Any

from modgate.errors import HandlerError
from modgate.host.model import CommandSpec, Host
from modgate.state import StateView

OBJ: dict[str, Any] = {"type": "object", "additionalProperties": False}


def _set_x(view: StateView, payload: dict[str, Any]) -> Any:
    view.set("/local/x", payload["x"])
    return {"x": payload["x"]}


def _append(view: StateView, payload: dict[str, Any]) -> Any:
    items = list(view.get("/doc/items", []))
    items.append(payload["item"])
    view.set("/doc/items", items)
    return {"count": len(items)}


def _rogue(view: StateView, payload: dict[str, Any]) -> Any:
    view.set("/local/x", 1)
    view.set("/doc/items", ["sneaky"])
    return None


def _boom(view: StateView, payload: dict[str, Any]) -> Any:
    raise HandlerError.make("command-execution-failed", "precondition failed")


def _never(view: StateView, payload: dict[str, Any]) -> Any:
    raise HandlerError.make("command-execution-failed", "journal commands are run by the bus")


def spec(cid: str, handler: Any, *, scope: str = "local", approval: bool = False, writes: tuple[str, ...] = (),
         schema: dict[str, Any] | None = None, journal: str | None = None) -> CommandSpec:
    return CommandSpec(
        id=cid, description=f"{cid} command", mutation_scope=scope,  # type: ignore[arg-type]
        requires_approval=approval, audit_tag=f"command.{cid}", undo_command=None, idempotent=False,
        writes=writes, payload_schema=schema or {**OBJ, "properties": {}}, payload_example={}, handler=handler,
        normalize=lambda p: {} if p is None else p, journal_action=journal,  # type: ignore[arg-type]
    )


def fake_host() -> Host:
    cmds = [
        spec("setX", _set_x, writes=("/local/x",),
             schema={**OBJ, "properties": {"x": {"type": "integer"}}, "required": ["x"]}),
        spec("append", _append, scope="doc", approval=True, writes=("/doc/items",),
             schema={**OBJ, "properties": {"item": {"type": "string"}}, "required": ["item"]}),
        spec("rogue", _rogue, writes=("/local/x",)),
        spec("boom", _boom, writes=("/local/x",)),
        spec("undo", _never, scope="doc", approval=True, writes=("/doc/items",), journal="undo"),
        spec("redo", _never, scope="doc", approval=True, writes=("/doc/items",), journal="redo"),
    ]
    return Host(app_id="fake", app_version="1.0.0", platform_ids=("*",), ui_slots=("toolbar-bottom",),
                event_names=(), commands={c.id: c for c in cmds}, state_domains=("doc", "sync", "local"),
                initial_state=lambda: {"doc": {"items": []}, "sync": {}, "local": {"x": 0}})
