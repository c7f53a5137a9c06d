"""Five-field cron schedules (``min hour dom month dow``), validated without I/O.

Each field is a comma list of ``*``, ``N``, ``A-B``, optionally followed by ``/STEP``. Month
and weekday names (``jan``, ``mon``) are accepted, as are ``7`` for Sunday. Macros such as
``@daily`` are refused: CodexChat's launchd scheduler cannot run them either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

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


def field_values(index: int, text: str) -> frozenset[int]:
    """The values one valid field matches (``7`` folds to Sunday ``0`` in day-of-week)."""
    _, low, high = FIELDS[index]
    out: set[int] = set()
    for item in text.lower().split(","):
        match = _ITEM.match(item)
        assert match is not None, "validate with cron_error first"
        body, step = match.group(1), int(match.group(2) or 1)
        if body == "*":
            start, end = low, high
        else:
            bounds = [_value(index, part) or 0 for part in body.split("-")]
            start = bounds[0]
            end = bounds[-1] if len(bounds) == 2 else (high if match.group(2) else start)
        out.update(range(start, end + 1, step))
    if index == 4 and 7 in out:
        out = (out - {7}) | {0}
    return frozenset(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool  # day of month is "*"
    any_weekday: bool

    @classmethod
    def parse(cls, schedule: str) -> Cron:
        error = cron_error(schedule)
        if error is not None:
            raise ValueError(error)
        parts = schedule.split()
        sets = [field_values(i, p) for i, p in enumerate(parts)]
        return cls(minutes=sets[0], hours=sets[1], days=sets[2], months=sets[3], weekdays=sets[4],
                   any_day=parts[2] == "*", any_weekday=parts[4] == "*")

    def matches_day(self, when: datetime) -> bool:
        # Classic cron: when both day fields are restricted, either one matching is enough.
        day_ok, weekday_ok = when.day in self.days, (when.isoweekday() % 7) in self.weekdays
        if not self.any_day and not self.any_weekday:
            return day_ok or weekday_ok
        return day_ok and weekday_ok

    def next_after(self, after: datetime) -> datetime | None:
        """The first matching minute strictly after ``after`` (within 5 years; None if none)."""
        when = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = after + timedelta(days=366 * 5)
        while when <= limit:
            if when.month not in self.months:
                when = (when.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
            elif not self.matches_day(when):
                when = when.replace(hour=0, minute=0) + timedelta(days=1)
            elif when.hour not in self.hours:
                when = when.replace(minute=0) + timedelta(hours=1)
            elif when.minute not in self.minutes:
                when += timedelta(minutes=1)
            else:
                return when
        return None
