"""Five-field cron schedules (``min hour dom month dow``), validated without I/O.

Each field is a comma list of ``*``, ``N``, ``A-B``, optionally followed by ``/STEP``. Month
and weekday names (``jan``, ``mon``) are accepted, as are ``7`` for Sunday. Macros such as
``@daily`` are refused: CodexChat's launchd scheduler cannot run them either.
"""

from __future__ import annotations

import re

FIELDS: tuple[tuple[str, int, int], ...] = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_NAMES = {
    3: {m: i + 1 for i, m in enumerate(_MONTHS)},
    4: {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))},
}
_ITEM = re.compile(r"^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/([0-9]+))?$")


def cron_error(schedule: str) -> str | None:
    """Why ``schedule`` is not a valid 5-field cron expression, or None when it is."""
    parts = schedule.split()
    if len(parts) != 5:
        return f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}"
    for index, text in enumerate(parts):
        error = _field_error(index, text.lower())
        if error is not None:
            return f"{FIELDS[index][0]} field {text!r}: {error}"
    return None


def _field_error(index: int, text: str) -> str | None:
    for item in text.split(","):
        error = _item_error(index, item)
        if error is not None:
            return error
    return None


def _item_error(index: int, item: str) -> str | None:
    match = _ITEM.match(item)
    if match is None:
        return "not a number, range, list or step"
    body, step = match.group(1), match.group(2)
    if step is not None and int(step) == 0:
        return "a step must be at least 1"
    if body == "*":
        return None
    bounds = [_value(index, part) for part in body.split("-")]
    if any(b is None for b in bounds):
        return "value out of range"
    if len(bounds) == 2 and bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
        return "range start is after its end"
    return None


def _value(index: int, text: str) -> int | None:
    _, low, high = FIELDS[index]
    value = _NAMES.get(index, {}).get(text)
    if value is None and text.isdigit():
        value = int(text)
    return value if value is not None and low <= value <= high else None
