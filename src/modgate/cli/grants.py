"""``modgate grants``: list, grant and revoke capabilities of heavy modules.

The person at the terminal is the approver (role ``host``). A grant is checked against the
registry first: the capability must be in the catalog and requested by the module, so the CLI
can never give a module more than it asked for. Session grants belong to ``MODGATE_SESSION``
(without it, to this one process only — the output says so).
"""

from __future__ import annotations

import getpass
import os
from typing import Any

import click

from modgate.cli.core import json_option, runtime
from modgate.cli.output import emit


def _approver() -> str:
    # getpass.getuser() raises when no user name is known (e.g. some containers).
    try:
        return getpass.getuser() or "operator"
    except (KeyError, OSError):
        return "operator"


@click.group()
def grants() -> None:
    """Capability grants of heavy modules.

    A module may use a capability only when it requested it and a grant for its exact version
    exists. Session grants count only in the session named by MODGATE_SESSION.
    """


@grants.command("list")
@click.option("--module", "module_id", default=None, help="Only the grants of this moduleId.")
@json_option
def grants_list(module_id: str | None, as_json: bool) -> None:
    """List stored grants with their status (active, expired, revoked)."""
    from modgate.caps import store as caps_store

    with runtime(read_only=True) as rt:
        rows = caps_store.list_grants(rt.db, module_id)

    def human(r: dict[str, Any]) -> None:
        if not r["grants"]:
            click.echo("no grants")
        for g in r["grants"]:
            click.echo(f"{g['moduleId']:<20} {g['moduleVersion']:<10} {g['capabilityId']:<22} "
                       f"{g['grantScope']:<10} {g['status']:<8} {g['approverIdentity']}")

    emit({"ok": True, "session": caps_store.current_session(), "grants": rows}, as_json, human)


@grants.command("grant")
@click.argument("module_id", metavar="MODULE")
@click.argument("capability_id", metavar="CAPABILITY")
@click.option("--persistent", is_flag=True, help="Keep the grant across sessions (default: this session only).")
@click.option("--version", "module_version", default=None,
              help="The moduleVersion to grant for (default: the registered version).")
@json_option
def grants_grant(module_id: str, capability_id: str, persistent: bool, module_version: str | None,
                 as_json: bool) -> None:
    """Grant CAPABILITY to MODULE as the host.

    The capability must be in the catalog and listed in the module's capabilitiesRequested.
    The grant is for one exact module version; a new version needs a new grant.
    """
    from modgate.caps import store as caps_store

    with runtime() as rt:
        grant, record = caps_store.grant_requested(rt.db, rt.store.state(), module_id, capability_id,
                                                   persistent=persistent, approver_id=_approver(),
                                                   module_version=module_version)
    result = {"ok": True, "grant": grant.to_dict(), "eventId": record["eventId"],
              "sessionFromEnv": bool(os.environ.get(caps_store.SESSION_ENV, "").strip())}
    emit(result, as_json, _human_granted)


def _human_granted(r: dict[str, Any]) -> None:
    g = r["grant"]
    click.echo(f"granted {g['capabilityId']} to {g['moduleId']} {g['moduleVersion']} ({g['grantScope']})")
    if g["grantScope"] == "session" and not r["sessionFromEnv"]:
        click.echo("note: MODGATE_SESSION is not set, so this session grant ends with this command; "
                   "set MODGATE_SESSION or use --persistent")


@grants.command("revoke")
@click.argument("module_id", metavar="MODULE")
@click.argument("capability_id", metavar="CAPABILITY")
@json_option
def grants_revoke(module_id: str, capability_id: str, as_json: bool) -> None:
    """Revoke every active grant of CAPABILITY to MODULE (all versions, scopes and sessions)."""
    from modgate.caps import store as caps_store

    with runtime() as rt:
        revoked = caps_store.revoke(rt.db, module_id, capability_id)

    def human(r: dict[str, Any]) -> None:
        for g in r["revoked"]:
            click.echo(f"revoked {g['capabilityId']} of {g['moduleId']} {g['moduleVersion']} ({g['grantScope']})")

    emit({"ok": True, "revoked": [g.to_dict() for g in revoked]}, as_json, human)
