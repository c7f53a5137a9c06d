"""modgate: make an application safely moddable.

Every persistent change goes through one command bus and one transaction protocol: preview ->
approval bound to that exact preview -> atomic apply -> rollback from the journal.

An application (the *host application*) declares itself with :class:`Host` and its
:class:`CommandSpec` commands, opens a home with :func:`open_runtime`, dispatches with
``rt.bus.dispatch``, runs transactions with :mod:`modgate.tx`, imports heavy module packages with
:func:`import_package`, installs extension mods with :func:`install_mod`, delivers events to their
hooks with :func:`emit_event`, builds the action graph
with :func:`graph_document` and serves it to LLM clients with :func:`serve_mcp`. A guide:
docs/embedding.md; every name: docs/reference.md.

The public surface is re-exported here and loaded lazily, so ``import modgate`` (and the CLI's
``--help``) stays cheap. Everything not in ``__all__`` (and :mod:`modgate.tx`) is private.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Bus": "modgate.bus",
    "CommandSpec": "modgate.host.model",
    "FieldSetter": "modgate.host.model",
    "HandlerError": "modgate.errors",
    "Host": "modgate.host.model",
    "KeyNormalizer": "modgate.host.model",
    "LightVocabulary": "modgate.light.vocab",
    "MemoryBusStore": "modgate.bus_memory",
    "ModgateError": "modgate.errors",
    "PayloadError": "modgate.errors",
    "PrefField": "modgate.light.vocab",
    "Problem": "modgate.errors",
    "Runtime": "modgate.app",
    "ShortcutAction": "modgate.light.vocab",
    "StateView": "modgate.state",
    "emit_event": "modgate.embed",
    "get_host": "modgate.host",
    "graph_document": "modgate.embed",
    "host_names": "modgate.host",
    "import_package": "modgate.embed",
    "install_mod": "modgate.embed",
    "open_runtime": "modgate.app",
    "register_host": "modgate.host",
    "serve_mcp": "modgate.embed",
    "uninstall_mod": "modgate.embed",
    "unregister_host": "modgate.host",
}

__all__ = [
    "Bus",
    "CommandSpec",
    "FieldSetter",
    "HandlerError",
    "Host",
    "KeyNormalizer",
    "LightVocabulary",
    "MemoryBusStore",
    "ModgateError",
    "PayloadError",
    "PrefField",
    "Problem",
    "Runtime",
    "ShortcutAction",
    "StateView",
    "__version__",
    "emit_event",
    "get_host",
    "graph_document",
    "host_names",
    "import_package",
    "install_mod",
    "open_runtime",
    "register_host",
    "serve_mcp",
    "uninstall_mod",
    "unregister_host",
]

if TYPE_CHECKING:  # pragma: no cover
    from modgate.app import Runtime, open_runtime
    from modgate.bus import Bus
    from modgate.bus_memory import MemoryBusStore
    from modgate.embed import emit_event, graph_document, import_package, install_mod, serve_mcp, uninstall_mod
    from modgate.errors import HandlerError, ModgateError, PayloadError, Problem
    from modgate.host import get_host, host_names, register_host, unregister_host
    from modgate.host.model import CommandSpec, FieldSetter, Host, KeyNormalizer
    from modgate.light.vocab import LightVocabulary, PrefField, ShortcutAction
    from modgate.state import StateView


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'modgate' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
