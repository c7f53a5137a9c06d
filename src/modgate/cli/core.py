"""Core commands: commands, dispatch, state, approvals, audit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from modgate.app import Runtime, open_runtime
from modgate.cli.output import emit, plain
from modgate.errors import JsonLoadError, ModgateError, Problem
from modgate.roles import DISPATCH_CHOICES

if TYPE_CHECKING:
    from modgate.host.model import Host

json_option = click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout.")


def selected_host() -> str | None:
    """The name given with ``modgate --host NAME`` (None when it was left out)."""
    ctx = click.get_current_context(silent=True)
    name = ctx.meta.get("modgate.host") if ctx is not None else None
    return name if isinstance(name, str) else None


def current_host() -> Host:
    """The host for a command that opens no home: --host, else the home's own host, else board."""
    from modgate.app import DEFAULT_HOST, remembered_host
    from modgate.host import get_host

    return get_host(selected_host() or remembered_host() or DEFAULT_HOST)


@contextmanager
def runtime(*, read_only: bool = False) -> Iterator[Runtime]:
    """The runtime for one command on the host chosen with --host (default: the home's own).

    ``read_only`` for commands that only read (see :func:`modgate.app.open_runtime`).
    """
    rt = open_runtime(host=selected_host(), read_only=read_only)
    try:
        yield rt
    finally:
        rt.close()


def parse_json_argument(text: str, name: str) -> Any:
    from modgate import strictjson

    try:
        return strictjson.loads(text.encode("utf-8", "surrogatepass"))
    except JsonLoadError as exc:
        raise ModgateError(Problem(code="invalid-argument", path=name,
                                   message=f"{name} is not strict JSON: {exc.problem.message}",
                                   detail={"jsonCode": exc.problem.code})) from exc


@click.command()
@json_option
def commands(as_json: bool) -> None:
    """List the host's commands with their metadata (id, scope, approval, writes, schema)."""
    host = current_host()
    metas = [spec.metadata() for spec in host.sorted_commands()]

    def human(_: dict[str, Any]) -> None:
        for m in metas:
            flag = "approval" if m["requiresApproval"] else ""
            click.echo(f"{m['id']:<22} {m['mutationScope']:<5} {flag:<8} {m['description']}")
        click.echo(f"\n{len(metas)} commands on host {host.app_id} {host.app_version}")

    emit({"ok": True, "host": host.app_id, "appVersion": host.app_version, "commands": metas}, as_json, human)


@click.command()
@click.argument("command_id")
@click.option("--payload", default=None, help="The payload as a JSON object (default: none).")
@click.option("--role", type=click.Choice(DISPATCH_CHOICES), default="host", show_default=True,
              help="Who dispatches (owner = host): host runs at once; other roles queue approval-gated commands.")
@click.option("--idempotency-key", default=None, help="Repeat-safe key: the same key replays the first result.")
@json_option
def dispatch(command_id: str, payload: str | None, role: str, idempotency_key: str | None, as_json: bool) -> None:
    """Dispatch COMMAND_ID through the bus.

    Exit 0 executed, 1 refused or failed, 3 queued for approval (the id is printed).
    """
    value = parse_json_argument(payload, "--payload") if payload is not None else None
    with runtime() as rt:
        result = rt.bus.dispatch(command_id, value, role=role, idempotency_key=idempotency_key)

    def human(r: dict[str, Any]) -> None:
        click.echo(f"executed {r['commandId']} (revision {r.get('revision')})")
        if r.get("result") is not None:
            click.echo(f"result: {plain(r['result'])}")

    emit(result, as_json, human)


@click.command()
@click.argument("domain", required=False)
@json_option
def state(domain: str | None, as_json: bool) -> None:
    """Show the state domains (or one DOMAIN: doc, sync, local) and their revisions."""
    with runtime(read_only=True) as rt:
        revision, current = rt.store.load()
        revisions = rt.store.domain_revisions()
    if domain is not None and domain not in current:
        raise ModgateError(Problem(code="invalid-argument", path="DOMAIN",
                                   message=f"unknown state domain {domain!r}; known: {', '.join(sorted(current))}"))
    body = {domain: current[domain]} if domain else current
    result = {"ok": True, "revision": revision, "domainRevisions": revisions, "state": body}

    def human(r: dict[str, Any]) -> None:
        import orjson

        click.echo(f"revision {r['revision']}")
        click.echo(orjson.dumps(r["state"], option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())

    emit(result, as_json, human)


@click.group()
def approvals() -> None:
    """The approval queue: student and agent dispatches of approval-gated commands."""


@approvals.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include decided items, not only pending ones.")
@json_option
def approvals_list(show_all: bool, as_json: bool) -> None:
    """List pending approval items (all items with --all)."""
    with runtime(read_only=True) as rt:
        items = rt.approvals.items(None if show_all else "pending")

    def human(r: dict[str, Any]) -> None:
        if not r["approvals"]:
            click.echo("no pending approvals")
        for item in r["approvals"]:
            click.echo(f"{item['id']:<8} {item['status']:<9} {item['role']:<8} {item['commandId']}")

    emit({"ok": True, "approvals": items}, as_json, human)


def _decide(approval_id: str, approve: bool, as_json: bool) -> None:
    with runtime() as rt:
        result = rt.bus.approve(approval_id) if approve else rt.bus.reject(approval_id)

    def human(r: dict[str, Any]) -> None:
        verb = "approved and executed" if approve else "rejected"
        click.echo(f"{approval_id}: {verb} {r.get('commandId') or r.get('title') or r.get('code')}")

    emit(result, as_json, human)


@approvals.command("approve")
@click.argument("approval_id")
@json_option
def approvals_approve(approval_id: str, as_json: bool) -> None:
    """Approve APPROVAL_ID as the host: the queued command runs now."""
    _decide(approval_id, True, as_json)


@approvals.command("reject")
@click.argument("approval_id")
@json_option
def approvals_reject(approval_id: str, as_json: bool) -> None:
    """Reject APPROVAL_ID: the queued command never runs."""
    _decide(approval_id, False, as_json)


@click.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100_000),
              help="How many recent events to show.")
@click.option("--verify", is_flag=True, help="Check the whole hash chain; exit 1 on a break.")
@json_option
def audit(limit: int, verify: bool, as_json: bool) -> None:
    """Show recent audit events; --verify recomputes the hash chain."""
    from modgate.store import audit as audit_log

    with runtime(read_only=True) as rt:
        events = audit_log.recent(rt.db, limit)
        check = audit_log.verify(rt.db) if verify else None
    result: dict[str, Any] = {"ok": True, "events": events}
    if check is not None:
        result["verify"] = check
        if not check["ok"]:
            result.update(ok=False, code="audit-chain-broken", path=f"audit[{check['brokenAt']}]",
                          message=f"audit chain broken at event {check['brokenAt']}: {check['reason']}")

    def human(r: dict[str, Any]) -> None:
        for e in r["events"]:
            click.echo(f"#{e['seq']:<5} {e['eventType']:<28} {e['role'] or '':<8} {e['commandId'] or ''}")
        if r.get("verify"):
            click.echo(f"chain verified: {r['verify']['count']} events, head {r['verify']['head'][:16]}…")

    emit(result, as_json, human)
