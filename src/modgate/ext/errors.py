"""The one exception type of the extension area and a helper to raise it.

Every code raised here is listed in ``modgate.codes.EXT`` and documented in docs/errors.md.
"""

from __future__ import annotations

from typing import Any, NoReturn

from modgate.errors import ModgateError, Problem


class ExtError(ModgateError):
    """An extension package, source or install operation was refused."""


def fail(code: str, message: str, path: str = "", *, hint: str | None = None, **detail: Any) -> NoReturn:
    raise ExtError(Problem(code=code, path=path, message=message, hint=hint, detail=detail))
