"""A host of field setters (issue 16's field path) with the shapes the board does not have: a
setter whose path lies outside its mutation scope, a normaliser that refuses, a value of any
JSON type, a conversion that leaves JSON."""

from __future__ import annotations

from typing import Any

from modgate.errors import PayloadError
from modgate.host.model import CommandSpec, FieldSetter, Host, KeyNormalizer


def _no_bang(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("!"):
        raise PayloadError.make("invalid-payload", "a name cannot start with !", path="payload.name")
    return value


def _huge(n: int) -> int:
    return n * 10**30 if n > 5 else n  # past 64 bits: not storable as JSON


def _setter(cid: str, path: str, key: str, sub: dict[str, Any], *, scope: str = "local", approval: bool = False,
            convert: Any = None, normalize: Any = None) -> CommandSpec:
    return CommandSpec(
        id=cid, description=cid, mutation_scope=scope, requires_approval=approval,  # type: ignore[arg-type]
        audit_tag=f"command.{cid}", undo_command=None, idempotent=False, writes=(path,),
        payload_schema={"type": "object", "properties": {key: sub}, "required": [key], "additionalProperties": False},
        payload_example={}, handler=FieldSetter(path=path, key=key, convert=convert), normalize=normalize)


def field_host() -> Host:
    cmds = [
        _setter("setCross", "/sync/cross/x", "x", {"type": "integer"}, scope="local"),
        _setter("setName", "/local/box/name", "name", {"type": "string"}, normalize=KeyNormalizer({"name": _no_bang})),
        _setter("setAny", "/local/box/any", "any", {}),
        _setter("setHuge", "/local/box/huge", "n", {"type": "integer"}, convert=_huge),
    ]
    return Host(app_id="fields", app_version="1.0.0", platform_ids=("*",), ui_slots=("toolbar-bottom",),
                event_names=(), commands={c.id: c for c in cmds}, state_domains=("doc", "sync", "local"),
                initial_state=lambda: {"doc": {}, "sync": {"cross": {"x": 0}},
                                       "local": {"box": {"name": "", "any": None, "huge": 0}}})
