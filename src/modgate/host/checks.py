"""Checks of a host application's declaration, before modgate runs it.

A host from an entry point or :func:`modgate.register_host` is input like any other: a mistake
in it (a payload schema that is not a JSON Schema, a write outside the state domains, a state
domain without an initial document) is reported as ``host-invalid`` with the path of the
field, not as a traceback from deep inside the bus or the store. Pure: no I/O (the host's own
``initial_state`` is called, as the store would).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

from modgate.errors import ModgateError, Problem
from modgate.host.model import CommandSpec, Host

APP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SCOPES = ("doc", "sync", "local")
# Domains modgate adds to every home (app.state_domains): a host may not declare them.
RESERVED_DOMAINS = frozenset({"registry", "extensions"})
Found = tuple[str, str]  # (path, message)


def check_host(host: object) -> Host:
    """``host`` when it is a well-formed :class:`Host`; else ``host-invalid`` naming the first problem."""
    if not isinstance(host, Host):
        _invalid("", f"a {type(host).__name__} is not a modgate.Host")
    for path, message in _problems(host):
        _invalid(path, message, host.app_id if isinstance(host.app_id, str) else "?")
    return host


def _invalid(path: str, message: str, app_id: str = "?") -> NoReturn:
    raise ModgateError(Problem(code="host-invalid", path=path, message=f"host {app_id!r}: {message}"))


def _problems(host: Host) -> Iterator[Found]:
    if not isinstance(host.app_id, str) or not APP_ID.match(host.app_id):
        yield "app_id", "app_id must be 1-64 letters, digits, '.', '_' or '-' (it is stored in the home)"
    for name in ("platform_ids", "ui_slots", "event_names", "state_domains"):
        if not _strings(getattr(host, name)):
            yield name, f"{name} must be a tuple of non-empty strings"
    yield from _domains(host)
    if not callable(getattr(host.commands, "items", None)):
        yield "commands", "commands must be a mapping of command id to CommandSpec"
        return
    for key, spec in host.commands.items():
        yield from _command(host, key, spec)


def _strings(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(v, str) and v for v in value)


def _domains(host: Host) -> Iterator[Found]:
    domains = host.state_domains if _strings(host.state_domains) else ()
    for name in domains:
        if name in RESERVED_DOMAINS or "/" in name or "~" in name:
            yield "state_domains", f"{name!r} cannot be a state domain (reserved or not a pointer token)"
    if len(set(domains)) != len(domains):
        yield "state_domains", "state_domains has a duplicate"
    yield from _initial(host, domains)


def _initial(host: Host, domains: tuple[str, ...]) -> Iterator[Found]:
    if not callable(host.initial_state):
        yield "initial_state", "initial_state must be a function returning the initial documents"
        return
    try:
        initial = host.initial_state()
    except Exception as exc:  # the application's code: report it, never a traceback
        yield "initial_state", f"initial_state() failed: {type(exc).__name__}: {exc}"
        return
    for name in domains:
        if not isinstance(initial, dict) or not isinstance(initial.get(name), dict):
            yield f"initial_state.{name}", f"initial_state() gives no JSON object for state domain {name!r}"


def _command(host: Host, key: Any, spec: Any) -> Iterator[Found]:
    path = f"commands.{key}"
    if not isinstance(spec, CommandSpec):
        yield path, f"a {type(spec).__name__} is not a CommandSpec"
        return
    if spec.id != key:
        yield f"{path}.id", f"the command is listed as {key!r} but its id is {spec.id!r}"
    if spec.mutation_scope not in SCOPES or spec.mutation_scope not in host.state_domains:
        yield f"{path}.mutation_scope", f"{spec.mutation_scope!r} is not doc, sync or local among the state domains"
    if not callable(spec.handler):
        yield f"{path}.handler", "handler must be a function (view, payload) -> result"
    yield from _writes(host, path, spec.writes)
    yield from _schema(path, spec.payload_schema)


def _writes(host: Host, path: str, writes: Any) -> Iterator[Found]:
    if not isinstance(writes, tuple):
        yield f"{path}.writes", "writes must be a tuple of JSON pointers"
        return
    for index, pointer in enumerate(writes):
        domain = pointer.split("/")[1] if isinstance(pointer, str) and pointer.startswith("/") else None
        if domain not in host.state_domains:
            yield f"{path}.writes[{index}]", f"{pointer!r} is not a JSON pointer into a state domain"


def _schema(path: str, schema: Any) -> Iterator[Found]:
    compile_schema: Callable[[Any], Any] = _validator_for()
    if not isinstance(schema, dict):
        yield f"{path}.payload_schema", "payload_schema must be a JSON Schema object"
        return
    try:
        compile_schema(schema)
    except Exception as exc:  # jsonschema_rs reports an invalid schema with its own error types
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        yield f"{path}.payload_schema", f"not a valid JSON Schema: {first}"


def _validator_for() -> Callable[[Any], Any]:
    import jsonschema_rs

    return jsonschema_rs.validator_for
