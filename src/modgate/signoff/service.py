"""``signoff`` as a library call: parse the window and clock, read the facts, compute the report."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from modgate.errors import ModgateError, Problem
from modgate.signoff.kpi import compute
from modgate.signoff.model import GO, Report, Window

if TYPE_CHECKING:
    from modgate.app import Runtime

MAX_WINDOW_DAYS = 90
_WINDOW = re.compile(r"^([1-9][0-9]{0,3})([dh])$")


def parse_window(text: str) -> float:
    """``7d`` / ``36h`` → seconds (at most 90 days); task 258's window is ``7d``."""
    match = _WINDOW.match(text.strip()) if isinstance(text, str) else None
    seconds = int(match.group(1)) * (86400 if match.group(2) == "d" else 3600) if match else 0
    if not match or seconds > MAX_WINDOW_DAYS * 86400:
        raise ModgateError(Problem(code="signoff-invalid-window", path="window",
                                   message=f"window {text!r} must be <N>d or <N>h, at most {MAX_WINDOW_DAYS} days"
                                           " (task 258 uses 7d)"))
    return float(seconds)


def parse_now(text: str) -> float:
    """An ISO 8601 instant (``2026-03-01T12:00:00Z``; no zone means UTC) → unix seconds."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError) as exc:
        raise ModgateError(Problem(code="signoff-invalid-now", path="now",
                                   message=f"--now {text!r} is not an ISO 8601 date-time"
                                           " (e.g. 2026-03-01T12:00:00Z)")) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def window_of(label: str, now: float) -> Window:
    return Window(start=now - parse_window(label), end=now, label=label)


def report(rt: Runtime, *, window: str = "7d", now: float) -> Report:
    """Task 258's report for ``rt``'s home over ``window`` ending at ``now`` (unix seconds)."""
    from modgate.signoff.reader import read_facts

    return compute(read_facts(rt, window_of(window, now)))


def no_go_problem(result: Report) -> Problem:
    """The coded failure of a NO-GO, naming the items that are not PASS."""
    open_items = [f"{i.id}={i.status}" for i in result.items if i.status != "PASS"]
    return Problem(code="signoff-no-go", path="items",
                   message="NO-GO: modding stays preview-only (beta flag off); not PASS: " + ", ".join(open_items),
                   detail={"items": ",".join(open_items)})


def envelope(result: Report) -> dict[str, object]:
    """The report as the result every front end returns: ``ok`` and ``code`` first."""
    if result.decision == GO:
        return {"ok": True, "code": "signoff-go", **result.to_dict()}
    return {"ok": False, **no_go_problem(result).to_dict(), **result.to_dict()}
