"""The audit event record the pure core produces; the store chains and persists it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, kw_only=True)  # not frozen: created on every dispatch, frozen init is slower
class AuditEvent:
    event_type: str
    correlation_id: str
    command_id: str | None = None
    role: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def new_event(event_type: str, correlation_id: str, command_id: str | None, role: str | None,
              data: dict[str, Any]) -> AuditEvent:
    """``AuditEvent(event_type=..., ...)`` built positionally: a keyword call to a dataclass
    __init__ costs twice a positional one, and the bus makes one per dispatch."""
    event = object.__new__(AuditEvent)
    event.event_type, event.correlation_id, event.command_id, event.role = event_type, correlation_id, command_id, role
    event.data = data
    return event
