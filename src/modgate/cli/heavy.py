"""Heavy modules from the command line: import, lint, modules, remove, new, slots, click.

Imports and removals are transactions (track ``heavy``): previewed, approved by the host
(``--yes``, a yes at the terminal, or later ``modgate tx approve`` + ``tx apply``), applied
atomically, and undoable with ``modgate tx rollback``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from modgate.app import Runtime
from modgate.cli.core import json_option, runtime
from modgate.cli.output import emit
from modgate.errors import ModgateError, Problem
from modgate.roles import DISPATCH_CHOICES


def _read(path: str) -> bytes:
    from modgate.fileread import read_limited
    from modgate.strictjson import DEFAULT_MAX_BYTES

    return read_limited(path, DEFAULT_MAX_BYTES)  # regular files only; json-too-large past the limit


def _interactive(as_json: bool) -> bool:
    return not as_json and sys.stdin.isatty() and sys.stdout.isatty()


def _decide(rt: Runtime, shown: dict[str, Any], yes: bool, as_json: bool) -> dict[str, Any] | None:
    """Approve and apply with consent; None when the transaction must wait for approval."""
    if not yes and _interactive(as_json):
        from modgate.cli.tx import render_preview

        click.echo(f"{shown['txId']}: {shown['title']}")
        render_preview(shown["preview"])
        yes = click.confirm("Apply this change?", default=False)
        if not yes:
            rt.tx.reject(shown["txId"], reason="declined at the terminal")
            return {"ok": False, "code": "tx-rejected", "txId": shown["txId"], "message": "declined; nothing changed"}
    if not yes:
        return None
    engine = rt.tx
    approval = engine.approve(shown["txId"], preview_hash=shown["previewHash"], approver_id="local-host")
    return engine.apply(shown["txId"], approval_token=approval["approvalToken"], requested_by="local-host")


def _pending(shown: dict[str, Any], what: str) -> dict[str, Any]:
    return {"ok": False, "code": "approval-pending", "txId": shown["txId"], "previewHash": shown["previewHash"],
            "summary": shown["preview"]["summary"],
            "message": f"{what} is waiting for approval: modgate tx approve {shown['txId']} && modgate tx apply"
                       f" {shown['txId']} (or rerun with --yes)"}


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Approve the change as the local host user.")
@click.option("--allow-downgrade", is_flag=True, help="Allow a moduleVersion older than the registered one.")
@json_option
def import_(file: str, yes: bool, allow_downgrade: bool, as_json: bool) -> None:
    """Import a heavy module package (HeavyModulePackageV1) from FILE.

    Validation is fail-fast and deterministic: one error code and path. A valid package becomes
    a transaction; without --yes it waits for approval (exit 3) unless you confirm at the terminal.
    """
    from modgate.modules.importing import check_import, preview_import

    data = _read(file)
    with runtime() as rt:
        outcome = check_import(rt, data, allow_downgrade=allow_downgrade)
        if not outcome.ok or outcome.package is None:
            emit(outcome.envelope, as_json)
        shown = preview_import(rt, outcome.package, allow_downgrade=allow_downgrade)
        applied = _decide(rt, shown, yes, as_json)
    if applied is None:
        emit(_pending(shown, f"import of {outcome.package['moduleId']}"), as_json)
    if not applied.get("ok"):
        emit(applied, as_json)
    plan = applied["plan"]
    envelope = {"ok": True, "code": "imported", "moduleId": plan["moduleId"], "moduleVersion": plan["moduleVersion"],
                "replaced": plan["replaced"]}
    emit(envelope, as_json, lambda r: click.echo(
        f"imported {r['moduleId']} {r['moduleVersion']}{' (replaced)' if r['replaced'] else ''} as {shown['txId']}"))


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
def lint(file: str, as_json: bool) -> None:
    """Report every problem of the package in FILE, sorted by path then code, each with a hint."""
    from modgate.cli.core import current_host
    from modgate.modules.lint import lint_bytes

    problems = lint_bytes(_read(file), current_host())
    found = [p.to_dict() for p in problems]
    result: dict[str, Any] = {"ok": not found, "problems": found}
    if found:
        result.update(code="lint-problems", message=f"{len(found)} problem(s) in {file}", path=found[0]["path"])

    def human(r: dict[str, Any]) -> None:
        click.echo(f"{file}: no problems")

    if found and not as_json:
        for p in found:
            click.echo(f"{p['path']}: {p['code']}: {p['message']}")
            if p.get("hint"):
                click.echo(f"    hint: {p['hint']}")
    emit(result, as_json, human)


@click.group(invoke_without_command=True)
@json_option
@click.pass_context
def modules(ctx: click.Context, as_json: bool) -> None:
    """List the imported heavy modules (not the host)."""
    if ctx.invoked_subcommand is not None:
        return
    from modgate.modules.registry import sorted_modules

    with runtime(read_only=True) as rt:
        entries = sorted_modules(rt.store.state())
    items = [{k: e[k] for k in ("moduleId", "moduleVersion", "displayName", "enabled")} |
             {"uiEntries": len(e["package"]["pluginManifest"]["ui"]),
              "capabilitiesRequested": e["package"].get("capabilitiesRequested", [])} for e in entries]

    def human(r: dict[str, Any]) -> None:
        if not r["modules"]:
            click.echo("no modules imported")
        for m in r["modules"]:
            click.echo(f"{m['moduleId']:<28} {m['moduleVersion']:<10} {m['uiEntries']} ui entries  {m['displayName']}")

    emit({"ok": True, "modules": items}, as_json, human)


@modules.command("show")
@click.argument("module_id")
@json_option
def modules_show(module_id: str, as_json: bool) -> None:
    """Show MODULE_ID's registry entry and its package."""
    with runtime(read_only=True) as rt:
        entry = _module(rt, module_id)
    emit({"ok": True, "module": entry}, as_json, lambda r: click.echo(
        __import__("orjson").dumps(r["module"], option=__import__("orjson").OPT_INDENT_2).decode()))


def _module(rt: Runtime, module_id: str) -> dict[str, Any]:
    from modgate.modules.registry import modules as registered

    entry = registered(rt.store.state()).get(module_id)
    if entry is None:
        raise ModgateError(Problem(code="module-not-found", path="MODULE_ID",
                                   message=f"no module {module_id!r} is imported; see `modgate modules`"))
    return entry


@click.command()
@click.argument("module_id")
@click.option("--yes", is_flag=True, help="Approve the removal as the local host user.")
@json_option
def remove(module_id: str, yes: bool, as_json: bool) -> None:
    """Remove MODULE_ID (a transaction: previewed, approved, undoable with `modgate tx rollback`)."""
    from modgate.modules.importing import preview_removal

    with runtime() as rt:
        shown = preview_removal(rt, module_id)
        applied = _decide(rt, shown, yes, as_json)
    if applied is None:
        emit(_pending(shown, f"removal of {module_id}"), as_json)
    if not applied.get("ok"):
        emit(applied, as_json)
    emit({"ok": True, "code": "removed", "moduleId": module_id, "txId": shown["txId"]}, as_json,
         lambda r: click.echo(f"removed {module_id} ({shown['txId']})"))


@click.group()
def new() -> None:
    """Create starter files."""


@new.command("module")
@click.argument("module_id")
@click.option("--dir", "directory", default=".", type=click.Path(file_okay=False),
              help="Where to write <MODULE_ID>.json (default: the current folder).")
@json_option
def new_module(module_id: str, directory: str, as_json: bool) -> None:
    """Write a valid starter package for MODULE_ID, bound to board commands; it imports as is."""
    from modgate.host import get_host
    from modgate.modules.package import validate_package
    from modgate.modules.starter import new_module_package
    from modgate.strictjson import dumps_pretty

    package = new_module_package(module_id)
    outcome = validate_package(package, get_host("board"))
    if not outcome.ok:
        emit(outcome.envelope, as_json)
    target = Path(directory) / f"{module_id}.json"
    if target.exists():
        raise ModgateError(Problem(code="file-exists", path=str(target),
                                   message=f"{target} already exists; choose another --dir or remove it"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dumps_pretty(package), encoding="utf-8")
    emit({"ok": True, "code": "created", "moduleId": module_id, "path": str(target)}, as_json,
         lambda r: click.echo(f"wrote {target}; next: modgate lint {target} && modgate import {target} --yes"))


@click.command()
@json_option
def slots(as_json: bool) -> None:
    """The slot contributions of all enabled modules (`<pluginId>:<entryId>`)."""
    from modgate.modules.registry import slot_contributions

    with runtime(read_only=True) as rt:
        by_slot = slot_contributions(rt.store.state())
        slot_names = list(rt.host.ui_slots)

    def human(r: dict[str, Any]) -> None:
        for slot in slot_names:
            click.echo(f"{slot}:")
            for c in r["slots"].get(slot, []):
                click.echo(f"  {c['contributionId']:<40} {c['type']:<6} → {c['commandId']}")

    emit({"ok": True, "slots": by_slot}, as_json, human)


@click.command()
@click.argument("contribution_id")
@click.option("--role", type=click.Choice(DISPATCH_CHOICES), default="host", show_default=True,
              help="Who clicks (owner = host): approval-gated commands are queued for every other role.")
@click.option("--yes", is_flag=True, help="Approve a host's click that writes shared state (a transaction).")
@json_option
def click_(contribution_id: str, role: str, yes: bool, as_json: bool) -> None:
    """Click CONTRIBUTION_ID: dispatch its bound command with the binding's payload through the bus.

    A host's click whose command writes shared state (doc or sync scope) runs as a transaction that
    needs the module's `state.write.tx` capability grant (`modgate grants grant MODULE state.write.tx`).
    """
    from modgate.modules.actions import run_contribution

    with runtime() as rt:
        outcome = run_contribution(rt, contribution_id, role=role)
        shown = outcome.pending
        if shown is not None:  # a host writing shared state: a transaction, the grant re-checked at apply
            applied = _decide(rt, shown, yes, as_json)
            if applied is None:
                emit(_pending(shown, f"click of {contribution_id}"), as_json)
            plan = applied.get("plan", {})
            emit({"ok": applied.get("ok", False), "code": "executed" if applied.get("ok") else applied["code"],
                  "commandId": plan.get("commandId"), "result": plan.get("result"), "txId": shown["txId"],
                  "message": applied.get("message", "")}, as_json,
                 lambda r: click.echo(f"{contribution_id} → {r['commandId']}: executed as {shown['txId']}"))
        result = outcome.envelope or {}
    emit(result, as_json, lambda r: click.echo(f"{contribution_id} → {r['commandId']}: executed"))
