"""Where ../shared is, if it is there at all.

The suite owns its fixtures; tests that also check against the shared conformance material (the
source projects' packages and reference files) are marked ``conformance`` and skip, with the
reason shown, on a clone that has no ``../shared`` beside it. No absolute path is ever tried.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_BESIDE = Path(__file__).resolve().parents[2] / "shared"
SHARED: Path | None = _BESIDE if (_BESIDE / "conformance").is_dir() else None
REASON = "needs ../shared (conformance material) beside the checkout; it is not there"

# Mark a test (or a module through ``pytestmark``) that reads ../shared.
conformance = [pytest.mark.conformance, pytest.mark.skipif(SHARED is None, reason=REASON)]


def shared(*parts: str) -> Path:
    """A path under ../shared; only dereference it inside a ``conformance`` test."""
    return (SHARED if SHARED is not None else _BESIDE).joinpath(*parts)


def listing(*parts: str) -> list[Path]:
    """The sorted entries of a shared folder, or [] when ../shared is absent."""
    folder = shared(*parts)
    return sorted(folder.iterdir()) if SHARED is not None and folder.is_dir() else []
