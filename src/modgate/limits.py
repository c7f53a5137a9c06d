"""Per-role limits of the command bus: rate, pending approvals, payload size. Pure, no I/O.

Students and agents are not trusted (docs/security.md): without limits one of them can fill the
disk with queued payloads or bury the host's approval queue. The bus asks the store to count
(dispatches per minute, pending items per role) inside the write lock, so the limits hold across
processes; this module only holds the numbers and the coded refusals.

``MODGATE_LIMITS`` (JSON, e.g. ``{"agent": {"perMinute": 30}}``) overrides the defaults per role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from modgate.errors import ModgateError, Problem

UNLIMITED = 0  # a limit of 0 means "no limit"


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleLimits:
    per_minute: int = UNLIMITED  # dispatches per calendar minute
    max_pending: int = UNLIMITED  # approval items waiting for the host
    max_payload_bytes: int = UNLIMITED  # the payload's compact JSON size

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoleLimits:
        return cls(per_minute=int(data.get("perMinute", 0)), max_pending=int(data.get("maxPending", 0)),
                   max_payload_bytes=int(data.get("maxPayloadBytes", 0)))

    def to_dict(self) -> dict[str, int]:
        return {"perMinute": self.per_minute, "maxPending": self.max_pending,
                "maxPayloadBytes": self.max_payload_bytes}


DEFAULT_LIMITS: dict[str, RoleLimits] = {
    # The host is trusted, but a runaway script must still not write a 1 GiB payload into the DB.
    "host": RoleLimits(max_payload_bytes=16 * 1024 * 1024),
    "student": RoleLimits(per_minute=120, max_pending=50, max_payload_bytes=256 * 1024),
    "agent": RoleLimits(per_minute=120, max_pending=50, max_payload_bytes=256 * 1024),
}


def _bad_limits(message: str) -> ModgateError:
    return ModgateError(Problem(code="invalid-argument", path="MODGATE_LIMITS", message=message))


def parse_limits(text: str | None, base: Mapping[str, RoleLimits] = DEFAULT_LIMITS) -> dict[str, RoleLimits]:
    """The defaults overridden by ``MODGATE_LIMITS`` (already read by the caller)."""
    out = dict(base)
    if not text or not text.strip():
        return out
    import orjson

    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise _bad_limits(f"MODGATE_LIMITS is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise _bad_limits("MODGATE_LIMITS must be an object keyed by role")
    for role, given in data.items():
        if role not in out or not isinstance(given, dict):
            raise _bad_limits(f"MODGATE_LIMITS: unknown role {role!r} or not an object")
        try:
            changes = RoleLimits.from_dict({**out[role].to_dict(), **given})
        except (TypeError, ValueError) as exc:
            raise _bad_limits(f"MODGATE_LIMITS.{role}: limits are whole numbers") from exc
        out[role] = replace(out[role], **{f: getattr(changes, f) for f in ("per_minute", "max_pending",
                                                                           "max_payload_bytes")})
    return out


def minute_of(now: float) -> int:
    return int(now // 60)


def refusal(code: str, command_id: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "code": code, "commandId": command_id, "error": message, "message": message,
            **{k: v for k, v in extra.items() if v is not None}}
