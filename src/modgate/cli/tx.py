"""``modgate tx``: the transaction protocol from the command line."""

from __future__ import annotations

import secrets
from typing import Any

import click

from modgate.cli.core import json_option, runtime
from modgate.cli.output import emit
from modgate.errors import ModgateError, Problem
from modgate.tx.machine import STATES

TRACKS = ("command", "heavy", "light", "extension")


@click.group()
def tx() -> None:
    """Transactions: preview → approve → apply → rollback, with the state history of each."""


def _summary_line(item: dict[str, Any]) -> str:
    return (f"{item['txId']:<7} {item['state']:<17} {item['track']:<9} attempt {item['attemptNo']}  "
            f"{item.get('title', '')}")


@tx.command("list")
@click.option("--state", default=None, type=click.Choice(STATES, case_sensitive=False),
              help="Only transactions in this state (e.g. APPROVAL_PENDING).")
@click.option("--track", default=None, type=click.Choice(TRACKS), help="Only this track.")
@json_option
def tx_list(state: str | None, track: str | None, as_json: bool) -> None:
    """List transactions, oldest first."""
    with runtime(read_only=True) as rt:
        items = rt.tx.list_tx(state=state, track=track)

    def human(r: dict[str, Any]) -> None:
        if not r["transactions"]:
            click.echo("no transactions")
        for item in r["transactions"]:
            click.echo(_summary_line(item))

    emit({"ok": True, "transactions": items}, as_json, human)


def render_preview(preview: dict[str, Any]) -> None:
    """A deterministic, Terraform-like rendering of a tx-preview/v1 envelope."""
    import orjson

    sign = {"add": "+", "remove": "-", "replace": "~", "move": ">"}
    for entry in preview["entries"]:
        click.echo(f"  {sign[entry['op']]} {entry['path']}")
        if entry["op"] in ("remove", "replace"):
            click.echo(f"      before: {orjson.dumps(entry['before']).decode()[:200]}")
        if entry["op"] in ("add", "replace"):
            click.echo(f"      after:  {orjson.dumps(entry['after']).decode()[:200]}")
    s = preview["summary"]
    click.echo(f"  {s['add']} to add, {s['replace']} to change, {s['remove']} to remove."
               f"  previewHash {preview['previewHash']}")


@tx.command("show")
@click.argument("tx_id")
@json_option
def tx_show(tx_id: str, as_json: bool) -> None:
    """Show TX_ID: its preview (tx-preview/v1) and its state history."""
    with runtime(read_only=True) as rt:
        shown = rt.tx.show(tx_id)

    def human(r: dict[str, Any]) -> None:
        t = r["transaction"]
        click.echo(f"{t['txId']} {t['state']} ({t['track']}, attempt {t['attemptNo']}): {t['title']}")
        click.echo(f"base {t['baseRevision']}")
        render_preview(t["preview"])
        click.echo("history:")
        for h in t["history"]:
            click.echo(f"  #{h['seq']:<4} {h['prevState']:>17} → {h['nextState']:<17} {h['actorId']}"
                       + (f"  [{h['code']}]" if h["code"] else ""))

    emit({"ok": True, "transaction": shown}, as_json, human)


@tx.command("approve")
@click.argument("tx_id")
@click.option("--preview-hash", default=None, help="Approve only if the current preview has this hash.")
@click.option("--ttl", default=900, show_default=True, type=click.IntRange(1, 7 * 24 * 3600),
              help="Seconds the approval stays valid.")
@json_option
def tx_approve(tx_id: str, preview_hash: str | None, ttl: int, as_json: bool) -> None:
    """Approve TX_ID's current preview as the host (prints the approval token)."""
    with runtime() as rt:
        result = rt.tx.approve(tx_id, preview_hash=preview_hash, ttl_s=ttl)
    emit(result, as_json, lambda r: click.echo(f"approved {tx_id} (preview {r['previewHash']}); expires "
                                               f"{r['expiresAt']}. Apply with: modgate tx apply {tx_id}"))


@tx.command("reject")
@click.argument("tx_id")
@click.option("--reason", default="", help="Why (recorded in the audit log).")
@json_option
def tx_reject(tx_id: str, reason: str, as_json: bool) -> None:
    """Reject TX_ID: it will never be applied."""
    with runtime() as rt:
        result = rt.tx.reject(tx_id, reason=reason)
    emit(result, as_json, lambda r: click.echo(f"rejected {tx_id}"))


@tx.command("apply")
@click.argument("tx_id")
@click.option("--token", default=None, help="Approval token (default: the newest approval of this attempt).")
@click.option("--idempotency-key", default=None,
              help="Replays the first result when repeated; without it a second apply is refused.")
@json_option
def tx_apply(tx_id: str, token: str | None, idempotency_key: str | None, as_json: bool) -> None:
    """Apply TX_ID's approved preview atomically."""
    with runtime() as rt:
        engine = rt.tx
        token = token or engine.latest_token(tx_id)
        if token is None:
            raise ModgateError(Problem(code="tx-not-approved", path="txId",
                                       message=f"{tx_id} has no approval for its current preview; run"
                                               f" `modgate tx approve {tx_id}` first"))
        result = engine.apply(tx_id, approval_token=token, idempotency_key=idempotency_key or _fresh_key())
    emit(result, as_json, lambda r: click.echo(f"applied {tx_id} ({r['commitId']})"))


@tx.command("rollback")
@click.argument("tx_id")
@click.option("--reason", default="", help="Why (recorded in the audit log).")
@click.option("--idempotency-key", default=None,
              help="Replays the first result when repeated; without it a second rollback is refused.")
@json_option
def tx_rollback(tx_id: str, reason: str, idempotency_key: str | None, as_json: bool) -> None:
    """Roll back an APPLIED TX_ID from the inverse ops recorded when it was applied."""
    with runtime() as rt:
        result = rt.tx.rollback(tx_id, reason=reason, idempotency_key=idempotency_key or _fresh_key())
    emit(result, as_json, lambda r: click.echo(f"rolled back {tx_id} ({r['commitId']})"))


@tx.command("refresh")
@click.argument("tx_id")
@json_option
def tx_refresh(tx_id: str, as_json: bool) -> None:
    """Make a new attempt with a fresh preview (after a stale base or a failed apply)."""
    with runtime() as rt:
        shown = rt.tx.refresh(tx_id)
    emit({"ok": True, "code": "previewed", "transaction": shown}, as_json,
         lambda r: render_preview(r["transaction"]["preview"]))


@tx.command("unblock")
@json_option
def tx_unblock(as_json: bool) -> None:
    """Operator: allow applies again after a failed rollback blocked them (check the state first)."""
    with runtime() as rt:
        result = rt.tx.unblock()
    emit(result, as_json, lambda r: click.echo("applies unblocked"))


def _fresh_key() -> str:
    return f"cli-{secrets.token_hex(8)}"
