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
