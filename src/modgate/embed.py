"""Use cases for an application embedding modgate, on an open :class:`~modgate.app.Runtime`.

These are the calls the ``modgate`` CLI makes, as functions: import a heavy module package (a
transaction to approve and apply with :mod:`modgate.tx`), install and uninstall an extension mod,
deliver events to extension hooks, build the action graph document and serve MCP. Dispatching is
``rt.bus.dispatch``; the transaction protocol is :mod:`modgate.tx`. Every failure raises
:class:`~modgate.errors.ModgateError` with a documented code (docs/errors.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modgate.errors import ModgateError, Problem
from modgate.state import JsonObject

if TYPE_CHECKING:
    from modgate.app import Runtime
    from modgate.host.model import Host


def _package_bytes(package: bytes | str | Mapping[str, Any]) -> bytes:
    if isinstance(package, bytes):
        return package
    if isinstance(package, str):
        return package.encode("utf-8", "surrogatepass")
    import orjson

    try:
        return orjson.dumps(dict(package))
    except TypeError as exc:  # not JSON at all: the same code the loader gives bytes that are not JSON
        raise ModgateError(Problem(code="invalid-package-root", path="package",
                                   message=f"the package is not a JSON object: {exc}")) from exc


def import_package(rt: Runtime, package: bytes | str | Mapping[str, Any], *,
                   allow_downgrade: bool = False) -> JsonObject:
    """Validate a heavy module package (HeavyModulePackageV1) and preview its import.

    ``package`` is the JSON text (bytes or str) or an already parsed object. Returns the
    transaction's preview (``txId``, ``previewHash``, ``preview``); the import happens when a host
    approves and applies it with :func:`modgate.tx.approve` and :func:`modgate.tx.apply`, and
    :func:`modgate.tx.rollback` takes it back. An invalid package raises
    :class:`~modgate.errors.ModgateError` with the validator's code and path (``detail`` holds
    the rest of the import envelope); the rejection is audited.
    """
    from modgate.modules.importing import check_import, preview_import

    outcome = check_import(rt, _package_bytes(package), allow_downgrade=allow_downgrade)
    if outcome.package is None:
        envelope = outcome.envelope
        extra = {k: v for k, v in envelope.items() if k not in {"ok", "code", "path", "message"}}
        raise ModgateError(Problem(code=str(envelope.get("code")), path=str(envelope.get("path", "")),
                                   message=str(envelope.get("message", "")), detail=extra))
    return preview_import(rt, outcome.package, allow_downgrade=allow_downgrade)


def install_mod(rt: Runtime, source: str | os.PathLike[str], *, accept_permissions: bool = False,
                scope: str = "global", project: str | os.PathLike[str] | None = None,
                host: str | None = None) -> JsonObject:
    """Install the extension mod at ``source`` (a folder, ``file://`` or GitHub URL).

    The mod's permissions are shown to nobody here: pass ``accept_permissions=True`` once your
    application has shown them (see :func:`modgate.ext.installer.Installer.inspect`), otherwise
    the install is refused with ``install.consent-required``. Accepting grants nothing: each
    permission stays undecided until a hook or automation first needs it (C4). ``scope`` is
    ``global`` (under the home) or ``project`` (under ``project``/mods). ``host`` names the host
    whose platform, namespace and event rules apply (default: the runtime's own, by its app id —
    register a host you built yourself with :func:`modgate.register_host`): a hook naming an event
    that host does not declare is refused (``package.event-not-declared``), and the mod's hooks
    hear that host's events only. Returns the install result (``mod``, ``txId``).
    """
    from modgate.ext.installer import Installer

    installer = Installer(rt.tx, rt.home)
    return installer.install(str(source), scope=scope, project=Path(project) if project is not None else None,
                             host=host or rt.host.app_id, consent=lambda _review: accept_permissions)


def uninstall_mod(rt: Runtime, ident: str) -> JsonObject:
    """Uninstall an extension mod by install id (or by mod id when it is installed once)."""
    from modgate.ext.installer import Installer

    return Installer(rt.tx, rt.home).uninstall(ident)


def check_event(host: Host, event: str, path: str = "event") -> None:
    """Refuse (``event.unknown``) an event no host declares (``modsBar.action`` is every host's).

    The current host is asked first; the other known hosts (built-in, registered, installed)
    only for an event it does not declare. The event then reaches the mods installed for a host
    that declares it.
    """
    from modgate.ext.errors import fail
    from modgate.ext.events import declared_events
    from modgate.ext.uimod import MODS_BAR_EVENT

    if event == MODS_BAR_EVENT or event in host.event_names:
        return
    declared = declared_events()
    if not any(event in names for names in declared.values()):
        listing = "; ".join(f"{name}: {', '.join(names)}" for name, names in declared.items())
        fail("event.unknown", f"No host declares the event {event!r} ({MODS_BAR_EVENT} aside, the hosts' events are "
             f"{listing})", path, hosts={k: list(v) for k, v in declared.items()})


def emit_event(rt: Runtime, event: str, *, payload: Mapping[str, str] | None = None,
               project: str | os.PathLike[str] | None = None, thread_id: str | None = None,
               turn_id: str | None = None, turn_status: str | None = None) -> list[JsonObject]:
    """Deliver ``event`` to the hooks of the enabled extension mods and return their runs.

    ``event`` is one a known host declares (its ``event_names``: the board's bus events, the
    codexchat profile's nine such as ``turn.completed``) or ``modsBar.action``; it reaches only the
    mods installed for a host that declares it. ``payload`` is the envelope's payload, an object
    of strings. Hooks run sandboxed (bubblewrap), concurrently, and this returns when they have
    finished: one run per hook (``installId``, ``modId``, ``hookId``, ``status`` — ``ok``,
    ``failed``, ``timeout``, ``permission-required``, ``sandbox-unavailable``, ... — ``durationMs``,
    ``error``). Commands a hook's output asks for go through the bus as the ``extension`` role.
    The runtime already emits the host's ``command.executed``, ``command.queued`` and
    transaction events after each commit; call this for events your application sees itself.
    Refused: ``event.unknown``, ``event.invalid-payload``.
    """
    from modgate.ext.errors import fail
    from modgate.ext.events import make_runner
    from modgate.ext.hooks import EventContext

    check_event(rt.host, event, "event")
    body = dict(payload or {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in body.items()):
        fail("event.invalid-payload", "payload must be an object of strings (the envelope's payload)", "payload")
    ctx = EventContext(event=event, project=Path(project).resolve() if project is not None else None,
                       thread_id=thread_id, turn_id=turn_id, turn_status=turn_status, payload=body)
    return [run.to_dict() for run in make_runner(rt).emit(ctx)]


def graph_document(rt: Runtime) -> JsonObject:
    """The action graph (v1.0) of the host, every enabled heavy module and extension mod, as JSON.

    ``rt.graphs()`` gives the same graphs as objects; ``rt.verify_graphs()`` dry-runs every
    action and compares what it writes with what its graph declares.
    """
    from modgate.graph import graphs_document

    return graphs_document(rt.graphs())


def serve_mcp(rt: Runtime) -> None:
    """Serve the runtime's commands and module actions as MCP tools over stdin/stdout.

    Blocks until the client closes the stream. Calls run as the ``agent`` role, so approval-gated
    commands are only queued for a host. Needs the ``mcp`` extra (``mcp-sdk-missing`` otherwise).
    """
    import importlib.util

    if importlib.util.find_spec("mcp") is None:
        raise ModgateError(Problem(code="mcp-sdk-missing", path="",
                                   message="the MCP SDK is not installed; install modgate[mcp]",
                                   hint="pip install 'modgate[mcp]'"))
    from modgate.mcp_server import serve_stdio

    serve_stdio(rt)


__all__ = ["emit_event", "graph_document", "import_package", "install_mod", "serve_mcp", "uninstall_mod"]
