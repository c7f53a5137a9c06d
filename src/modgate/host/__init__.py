"""Host applications modgate knows by name: built-in, registered and installed ones.

A name resolves, in this order, to

1. a built-in host (``board``, ``codexchat``), imported only when asked for;
2. a host registered in this process with :func:`register_host`;
3. an installed host: an entry point named ``name`` in the group ``modgate.hosts`` (the way
   pluggy and datasette find plugins), e.g. in the application's ``pyproject.toml``::

       [project.entry-points."modgate.hosts"]
       notes = "notes_app:host"

   The entry point names a :class:`Host` or a function of no arguments returning one.

Entry points are read lazily and only for a name that is neither built in nor registered, so
``modgate --help`` and opening a built-in host never scan the installed distributions.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from modgate.errors import ModgateError, Problem
from modgate.host.model import CommandSpec, Host

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

ENTRY_POINT_GROUP = "modgate.hosts"
# name -> "module:function" returning the Host (imported on first use).
BUILTIN_HOSTS: dict[str, str] = {
    "board": "modgate.host.board:board_host",
    "codexchat": "modgate.host.codexchat:codexchat_host",
}
HOST_NAMES = tuple(BUILTIN_HOSTS)
HostFactory = Callable[[], Host]
_registered: dict[str, Host | HostFactory] = {}


def register_host(name: str, host: Host | HostFactory, *, replace: bool = False) -> None:
    """Make ``host`` (a :class:`Host` or a function returning one) available as ``name``.

    Use it for an application that is not installed as a distribution (tests, scripts). A
    built-in name, or a name already registered (unless ``replace``), is refused with
    ``host-name-taken``.
    """
    if name in BUILTIN_HOSTS or (name in _registered and not replace):
        raise ModgateError(Problem(code="host-name-taken", path="name",
                                   message=f"a host named {name!r} is already known"))
    _registered[name] = host


def unregister_host(name: str) -> None:
    """Forget a host registered with :func:`register_host` (no error when there is none)."""
    _registered.pop(name, None)


def get_host(name: str = "board") -> Host:
    """The host application called ``name``: built-in, registered, else installed (entry point).

    Raises :class:`~modgate.errors.ModgateError` ``host-unknown`` when no host has that name,
    ``host-load-failed`` when an installed host's entry point cannot be loaded or gives no Host,
    and ``host-invalid`` when a registered or installed host's declaration is malformed.
    """
    if name in BUILTIN_HOSTS:
        module, _, attr = BUILTIN_HOSTS[name].partition(":")
        return _as_host(name, getattr(importlib.import_module(module), attr))
    # Built-in hosts are trusted (and tested); every other one is checked before it runs.
    from modgate.host.checks import check_host

    if name in _registered:
        return check_host(_as_host(name, _registered[name]))
    return check_host(_as_host(name, _entry_point(name)))


def host_names() -> list[str]:
    """Every known host name, sorted: built-in, registered and installed (reads entry points)."""
    return sorted({*BUILTIN_HOSTS, *_registered, *(ep.name for ep in _entry_points())})


def _entry_points() -> tuple[EntryPoint, ...]:
    from importlib.metadata import entry_points

    return tuple(entry_points(group=ENTRY_POINT_GROUP))


def _entry_point(name: str) -> object:
    from importlib.metadata import entry_points

    found = entry_points(group=ENTRY_POINT_GROUP, name=name)
    if not found:
        known = ", ".join(host_names())
        raise ModgateError(Problem(code="host-unknown", path="host",
                                   message=f"no host application named {name!r}; known: {known}",
                                   hint=f"install the application (it declares a {ENTRY_POINT_GROUP!r} entry point)"
                                        " or register it with modgate.register_host"))
    try:
        return next(iter(found)).load()
    except Exception as exc:  # a broken third-party package: report it, never a traceback
        raise _load_failed(name, f"its entry point could not be loaded: {type(exc).__name__}: {exc}") from exc


def _as_host(name: str, value: object) -> Host:
    if isinstance(value, Host):
        return value
    if not callable(value):
        raise _load_failed(name, f"it is a {type(value).__name__}, not a Host or a function returning one")
    try:
        made = value()
    except ModgateError:
        raise
    except Exception as exc:
        raise _load_failed(name, f"building it failed: {type(exc).__name__}: {exc}") from exc
    if not isinstance(made, Host):
        raise _load_failed(name, f"its factory returned a {type(made).__name__}, not a Host")
    return made


def _load_failed(name: str, why: str) -> ModgateError:
    return ModgateError(Problem(code="host-load-failed", path="host", message=f"host {name!r} cannot be used: {why}"))


__all__ = ["ENTRY_POINT_GROUP", "HOST_NAMES", "CommandSpec", "Host", "get_host", "host_names", "register_host",
           "unregister_host"]
