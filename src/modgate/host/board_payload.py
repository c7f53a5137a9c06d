"""Payload normalizers and semantic checks of the board commands.

``normalize`` runs before schema validation and reproduces what the source app's validators do
before checking (``board-commands.json`` ``conventions.payloadValues`` and each ``payloadNotes``):

- a null or omitted payload becomes ``{}`` for the payload-less commands and for
  ``toggleAutoPlay``, ``togglePause`` and ``deletePage``;
- surrounding whitespace is trimmed from string ids (``blockId``, ``pageId``, block and segment
  ids), enum strings (``tool``, ``mode``, ``edge``, ``penType``, ``laserType``, insertBreak
  ``type``, block ``kind``, segment ``type``), media ``src`` and the animation-input ``format``;
- pen/laser colors are trimmed and upper-cased.

Normalizers never mutate their input and leave non-strings (and non-objects) untouched so the
schema rejects them. ``check`` runs after schema validation, for rules a schema cannot express,
and raises :class:`~modgate.errors.PayloadError` (``invalid-payload``) with a dotted path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from modgate.errors import PayloadError
from modgate.host.model import KeyNormalizer
from modgate.state import JsonObject, StateView

INVALID = "invalid-payload"
Normalizer = Callable[[Any], Any]
Checker = Callable[[JsonObject, StateView | None], None]

# Commands whose payloadNotes accept a null or omitted payload as {}.
NULL_AS_EMPTY = frozenset(
    {
        "addPage",
        "clearAllAudio",
        "deletePage",
        "nextPage",
        "nextStep",
        "prevPage",
        "prevStep",
        "redo",
        "toggleAutoPlay",
        "togglePause",
        "triggerPlay",
        "triggerSkip",
        "triggerStop",
        "undo",
    }
)


def _trim(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _color(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _map_keys(obj: Any, fns: Mapping[str, Normalizer]) -> Any:
    """A copy of ``obj`` with ``fns[key]`` applied to each present key (non-objects unchanged)."""
    if not isinstance(obj, dict):
        return obj
    return {k: fns[k](v) if k in fns else v for k, v in obj.items()}


def _segment(segment: Any) -> Any:
    return _map_keys(segment, {"id": _trim, "type": _trim, "src": _trim})


def _segments(segments: Any) -> Any:
    return [_segment(s) for s in segments] if isinstance(segments, list) else segments


def normalize_block(block: Any) -> Any:
    return _map_keys(block, {"id": _trim, "kind": _trim, "segments": _segments})


def _blocks(blocks: Any) -> Any:
    return [normalize_block(b) for b in blocks] if isinstance(blocks, list) else blocks


def _input(value: Any) -> Any:
    return _map_keys(value, {"format": _trim})


def _keys(fns: Mapping[str, Normalizer], *, null_as_empty: bool = False) -> Normalizer:
    return KeyNormalizer(fns, null_as_empty)


_FIELDS: Mapping[str, Mapping[str, Normalizer]] = {
    "deleteBlock": {"blockId": _trim},
    "deletePage": {"pageId": _trim},
    "goToPage": {"pageId": _trim},
    "importStepBlocks": {"blocks": _blocks},
    "insertBlock": {"block": normalize_block},
    "insertBreak": {"type": _trim},
    "setAnimationModInput": {"input": _input},
    "setLaserColor": {"color": _color},
    "setLaserType": {"laserType": _trim},
    "setPenColor": {"color": _color},
    "setPenType": {"penType": _trim},
    "setTool": {"tool": _trim},
    "setToolbarDock": {"edge": _trim, "mode": _trim},
    "setViewMode": {"mode": _trim},
    "updateBlock": {"blockId": _trim, "block": normalize_block},
}


def normalizer_for(command_id: str) -> Normalizer | None:
    """The normalizer of ``command_id``, or None when its payload is taken as given."""
    fields = _FIELDS.get(command_id, {})
    null_as_empty = command_id in NULL_AS_EMPTY
    if not fields and not null_as_empty:
        return None
    return _keys(fields, null_as_empty=null_as_empty)


# --- checks ---------------------------------------------------------------------------------------


def check_update_block(payload: JsonObject, view: StateView | None) -> None:
    """blockId must equal block.id (both already trimmed)."""
    if payload["blockId"] != payload["block"]["id"]:
        raise PayloadError.make(
            INVALID,
            f"blockId {payload['blockId']!r} does not equal block.id {payload['block']['id']!r}",
            path="payload.block.id",
        )


def check_import_step_blocks(payload: JsonObject, view: StateView | None) -> None:
    """Block ids must be unique; the later duplicate is reported."""
    seen: set[str] = set()
    for index, block in enumerate(payload["blocks"]):
        if block["id"] in seen:
            raise PayloadError.make(INVALID, f"duplicate block id {block['id']!r}", path=f"payload.blocks[{index}].id")
        seen.add(block["id"])


CHECKS: Mapping[str, Checker] = {
    "importStepBlocks": check_import_step_blocks,
    "updateBlock": check_update_block,
}
