"""modgate: make an application safely moddable.

The public surface is re-exported here and loaded lazily, so ``import modgate`` (and the CLI's
``--help``) stays cheap. Everything not in ``__all__`` is private.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Bus": "modgate.bus",
    "CommandSpec": "modgate.host.model",
    "Host": "modgate.host.model",
    "MemoryBusStore": "modgate.bus",
    "ModgateError": "modgate.errors",
    "Problem": "modgate.errors",
    "Runtime": "modgate.app",
    "get_host": "modgate.host",
    "open_runtime": "modgate.app",
}

__all__ = [
    "Bus",
    "CommandSpec",
    "Host",
    "MemoryBusStore",
    "ModgateError",
    "Problem",
    "Runtime",
    "__version__",
    "get_host",
    "open_runtime",
]

if TYPE_CHECKING:  # pragma: no cover
    from modgate.app import Runtime, open_runtime
    from modgate.bus import Bus, MemoryBusStore
    from modgate.errors import ModgateError, Problem
    from modgate.host import get_host
    from modgate.host.model import CommandSpec, Host


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'modgate' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
