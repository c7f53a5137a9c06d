"""SemVer 2.0.0: validation and precedence (build metadata ignored), with ASCII-only classes."""

from __future__ import annotations

import re
from typing import Any

_NUM = r"(?:0|[1-9][0-9]*)"
_PRE = r"(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
# SemVer 2.0.0 with explicit ASCII classes (``\d`` would accept non-ASCII digits); used with
# fullmatch, so a trailing newline is refused (``$`` would let it through).
SEMVER = re.compile(
    rf"({_NUM})\.({_NUM})\.({_NUM})(?:-({_PRE}(?:\.{_PRE})*))?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?"
)


def is_semver(value: Any) -> bool:
    return isinstance(value, str) and SEMVER.fullmatch(value) is not None


def semver_key(version: str) -> tuple[Any, ...]:
    """A sort key giving SemVer 2.0.0 precedence (build metadata ignored)."""
    match = SEMVER.fullmatch(version)
    if match is None:
        raise ValueError(f"not a SemVer version: {version!r}")
    major, minor, patch, pre = match.groups()
    if pre is None:
        return (int(major), int(minor), int(patch), 1, ())
    # Numeric identifiers sort before alphanumeric ones, and numerically among themselves.
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (int(major), int(minor), int(patch), 0, ids)


def semver_lt(a: str, b: str) -> bool:
    return semver_key(a) < semver_key(b)
