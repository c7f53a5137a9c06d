"""Problems and exceptions.

Every failure modgate reports is a :class:`Problem`: a stable ``code`` (documented in
``docs/errors.md`` and listed in :mod:`modgate.codes`), a ``path`` naming where the problem
is, a human ``message`` and optionally a ``hint`` and a JSON-safe ``detail``.

Exception tree::

    ModgateError                 carries one Problem
    ├── JsonLoadError            strict JSON loading (modgate.strictjson)
    ├── StoreError               SQLite failures, translated once in modgate.store
    ├── KeyFileError             a key under MODGATE_HOME/keys is missing, a link, too short (modgate.store.keys)
    ├── FileSystemError          an OS error reading or writing a user's file (file_system_error)
    ├── PayloadError             a command payload failed a semantic check
    ├── HandlerError             a command handler refused to run (precondition)
    ├── TxError                  a refusal of the transaction protocol (modgate.tx.model)
    ├── ExtError                 an extension package, source or install problem (modgate.ext.errors)
    └── AdaptError               a responsive adaptation input or geometry problem (modgate.adapt.errors)

A test keeps this drawing equal to the real subclasses of :class:`ModgateError`.

This module imports nothing of ours, so every other module may import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One coded problem: ``code`` (docs/errors.md), ``path``, ``message``, optional ``hint``/``detail``."""

    code: str
    path: str
    message: str
    hint: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``hint`` and ``detail`` only when set)."""
        out: dict[str, Any] = {"code": self.code, "path": self.path, "message": self.message}
        if self.hint is not None:
            out["hint"] = self.hint
        if self.detail:
            out["detail"] = dict(self.detail)
        return out


class ModgateError(Exception):
    """Base class: an error with a documented code."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(f"{problem.code}: {problem.message}")
        self.problem = problem

    @classmethod
    def make(cls, code: str, message: str, path: str = "", **detail: Any) -> ModgateError:
        """Build the error from its parts (``detail`` as keyword arguments)."""
        return cls(Problem(code=code, path=path, message=message, detail=detail))

    @property
    def code(self) -> str:
        """The problem's documented code."""
        return self.problem.code

    @property
    def message(self) -> str:
        """The problem's human message."""
        return self.problem.message


class JsonLoadError(ModgateError):
    """Input bytes are not strict JSON."""


class StoreError(ModgateError):
    """The state store failed (locked, read-only, corrupt, ...)."""


class FileSystemError(ModgateError):
    """The operating system refused to read or write a file or folder the user named."""


def file_system_error(exc: OSError, path: str = "", action: str = "use") -> FileSystemError:
    """The one translation of a foreign ``OSError`` into a coded error (``file-system-error``)."""
    where = path or str(exc.filename or "")
    reason = exc.strerror or type(exc).__name__
    return FileSystemError(Problem(code="file-system-error", path=where,
                                   message=f"cannot {action} {where}: {reason}", detail={"errno": exc.errno}))


class PayloadError(ModgateError):
    """A command payload passed its schema but failed a semantic check."""


class HandlerError(ModgateError):
    """A command handler could not run in the current state."""
