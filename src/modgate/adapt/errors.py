"""The E_ADAPT_* codes (task 252 plus modgate's input codes) and their recoverability.

The meanings live in :data:`modgate.codes.ADAPT`; this module adds what the resolver needs: is
a code recoverable (the light track may offer corrections, up to task 251's cap of 3 retries)?
"""

from __future__ import annotations

from typing import Any, Final

from modgate.errors import ModgateError, Problem

# Task 252's five codes: the first three are recoverable, the last two are not.
RECOVERABLE: Final[dict[str, bool]] = {
    "E_ADAPT_DEVICE_TARGET_INVALID": True,
    "E_ADAPT_TOUCH_TARGET_BREACH": True,
    "E_ADAPT_PANEL_COLLISION_UNRESOLVED": True,
    "E_ADAPT_POLICY_LOCK_VIOLATION": False,
    "E_ADAPT_UNRECOVERABLE_GEOMETRY": False,
    # modgate's input codes: the caller can correct the input.
    "E_ADAPT_VIEWPORT_INVALID": True,
    "E_ADAPT_PREFERENCE_INVALID": True,
    "E_ADAPT_INTENT_INVALID": True,
}
RETRY_CAP: Final = 3  # task 251: at most 3 retries per intentId


class AdaptError(ModgateError):
    """Input to the responsive adaptation is invalid (raised before anything is resolved)."""


def adapt_error(code: str, path: str, message: str, **detail: Any) -> AdaptError:
    detail.setdefault("recoverable", RECOVERABLE[code])
    return AdaptError(Problem(code=code, path=path, message=message, detail=detail))
