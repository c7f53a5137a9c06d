"""``modgate mod``: extension mods — init, validate, inspect, install, list, enable, disable,
update, uninstall, approve, allow-executable.

Thin: every command calls :class:`modgate.ext.installer.Installer` and prints one result
through :func:`modgate.cli.output.emit`. Prompts and progress go to stderr and only on a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from modgate.cli.output import emit

if TYPE_CHECKING:
    from modgate.ext.installer import Installer, Review

json_option = click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout.")
host_option = click.option("--host", default=None, metavar="NAME",
                           help="Host whose platform, namespace and event rules apply: any name `modgate --host`"
                                " accepts  [default: the home's host]")
yes_option = click.option("--yes", is_flag=True, help="Accept the permission review without asking.")


def _tty() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


class _Progress:
    """rich progress on stderr for clone and copy, created lazily and only on a terminal."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.task: Any = None

    def say(self, text: str) -> None:
        click.echo(text, err=True)

    def step(self, done: int, total: int) -> None:
        if self.bar is None:
            from rich.progress import Progress

            self.bar = Progress(transient=True, console=None)
            self.bar.start()
            self.task = self.bar.add_task("copying", total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@contextmanager
def installer() -> Iterator[Installer]:
    from modgate.app import open_runtime
    from modgate.cli.core import selected_host
    from modgate.ext.installer import Installer

    rt = open_runtime(host=selected_host())
    progress = _Progress() if _tty() else None
    try:
        yield Installer(rt.tx, rt.home, say=progress.say if progress else None,
                        progress=progress.step if progress else None)
    finally:
        if progress is not None:
            progress.close()
        rt.close()


def _rules_host(host: str | None) -> str:
    """--host of the mod command, else `modgate --host`, else the home's host (claimed on open)."""
    from modgate.app import DEFAULT_HOST, remembered_host
    from modgate.cli.core import selected_host

    return host or selected_host() or remembered_host() or DEFAULT_HOST


def _consent(yes: bool, verb: str) -> Callable[[Review], bool]:
    def ask(review: Review) -> bool:
        if yes:
            return True
        if not _tty():
            return False
        _show_review(review.to_dict())
        return click.confirm(f"{verb} {review.package.id}?", default=False, err=True)
    return ask


def _show_review(r: dict[str, Any]) -> None:
    click.echo(f"{r['action']}: {r['id']} {r['version']} ({r['name']}) from {r['source']} [{r['scope']}]", err=True)
    perms = r["newPermissions"] if r["action"] == "update" else r["permissions"]
    # C4: nothing is granted here; each key is asked when a hook or automation first needs it
    click.echo(f"  permissions: {', '.join(perms) or 'none'} (asked at first use, not granted now)", err=True)
    for kind in ("hooks", "automations"):
        for item in r[kind]:
            click.echo(f"  runs {' '.join(item['command'])} ({kind[:-1]} {item['id']})", err=True)
    for warning in r["warnings"]:
        click.echo(f"  warning: {warning}", err=True)


def _mod_line(m: dict[str, Any]) -> str:
    state = m.get("status") or ("enabled" if m["enabled"] else "disabled")
    return f"{m['id']:<48} {m['version']:<10} {state:<12} {m['path']}"


@click.group()
def mod() -> None:
    """Extension mods (codex.mod.json + ui.mod.json): build, check, install and manage them."""


@mod.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--id", "mod_id", default=None, help="Mod id (default: derived from the folder name).")
@click.option("--with-hook", is_flag=True, help="Add a sample hook (on an event the host declares: turn.completed "
              "on codexchat, command.executed on board) and its script.")
@host_option
@json_option
def init(directory: Path, mod_id: str | None, with_hook: bool, host: str | None, as_json: bool) -> None:
    """Create a new mod package in DIRECTORY (integrity left unset, as CodexChat's samples do)."""
    from modgate.ext.manifest import HostRules
    from modgate.ext.scaffold import write_package
    from modgate.host import get_host

    events = HostRules.for_host(get_host(_rules_host(host))).events if with_hook else ()
    written = write_package(directory, mod_id, with_hook=with_hook, host_events=events)
    emit({"ok": True, "path": str(directory), "files": written}, as_json,
         lambda r: click.echo(f"created {len(r['files'])} files in {r['path']}"))


@mod.command()
@click.argument("directory", type=click.Path(path_type=Path))
@host_option
@json_option
def validate(directory: Path, host: str | None, as_json: bool) -> None:
    """Validate the package in DIRECTORY (both manifests, paths, links, limits) without installing."""
    from modgate.ext.errors import ExtError

    with installer() as inst:
        try:
            pkg = inst.validate_dir(directory, _rules_host(host))
        except ExtError as exc:  # every problem, sorted by path then code (the first is the error's own)
            _emit_problems(exc, as_json)
    emit({"ok": True, "path": str(directory), **pkg.summary()}, as_json, _print_summary)


def _emit_problems(exc: Any, as_json: bool) -> None:
    problems = exc.problem.detail.get("problems") or [exc.problem.to_dict()]
    if as_json:
        emit({"ok": False, **exc.problem.to_dict(), "problems": problems}, True)
    for p in problems:
        click.echo(f"{p['path']}: {p['code']}: {p['message']}", err=True)
    raise SystemExit(1)


def _print_summary(r: dict[str, Any]) -> None:
    click.echo(f"ok: {r['id']} {r['version']} ({r['name']})")
    click.echo(f"permissions: {', '.join(r['permissions']) or 'none'}; hooks {r['ui']['hookCount']}, "
               f"automations {r['ui']['automationCount']}")
    for warning in r["warnings"]:
        click.echo(f"warning: {warning}")


@mod.command()
@click.argument("source")
@host_option
@json_option
def inspect(source: str, host: str | None, as_json: bool) -> None:
    """Show what SOURCE (folder, file:// or GitHub URL) would install: manifest, permissions, hooks, warnings."""
    with installer() as inst:
        result = inst.inspect(source, _rules_host(host))
    emit(result, as_json, _print_summary)


@mod.command()
@click.argument("source")
@click.option("--scope", type=click.Choice(["global", "project"]), default="global", show_default=True,
              help="global: $MODGATE_HOME/mods; project: <project>/mods.")
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Project folder for --scope project (default: the current folder).")
@host_option
@yes_option
@json_option
def install(source: str, scope: str, project: Path | None, host: str | None, yes: bool, as_json: bool) -> None:
    """Install the mod at SOURCE after a permission review (--yes accepts it; it grants nothing).

    Every permission stays undecided until a hook or automation first needs it (asked then on a
    terminal, else `modgate mod permissions ID --grant KEY`). Hooks may only name events the
    install host declares (a CodexChat mod installs with --host codexchat).
    """
    with installer() as inst:
        result = inst.install(source, scope=scope, project=project, host=_rules_host(host),
                             consent=_consent(yes, "Install"))

    def human(r: dict[str, Any]) -> None:
        click.echo(f"installed {r['mod']['id']} {r['mod']['version']} at {r['mod']['path']} ({r['txId']})")
        if r["permissions"]:
            click.echo(f"permissions {', '.join(r['permissions'])}: undecided, asked at first use")
        for warning in r["warnings"]:
            click.echo(f"warning: {warning}")
        if r.get("message"):
            click.echo(r["message"])

    emit(result, as_json, human)


@mod.command("list")
@json_option
def list_(as_json: bool) -> None:
    """List installed mods (disabled ones too); enabled mods have their files re-checked."""
    with installer() as inst:
        mods = inst.list()

    def human(r: dict[str, Any]) -> None:
        for m in r["mods"]:
            click.echo(_mod_line(m))
        if not r["mods"]:
            click.echo("no mods installed")

    emit({"ok": True, "mods": mods}, as_json, human)


def _simple(action: Callable[[Installer], dict[str, Any]], as_json: bool) -> None:
    with installer() as inst:
        result = action(inst)
    emit(result, as_json, lambda r: click.echo(f"{r['action']}: {r['mod']['id']} ({r['mod']['path']}, {r['txId']})"))


@mod.command()
@click.argument("ident", metavar="ID")
@json_option
def enable(ident: str, as_json: bool) -> None:
    """Enable ID (an install id such as global:acme.x, or a mod id installed once)."""
    _simple(lambda inst: inst.enable(ident), as_json)


@mod.command()
@click.argument("ident", metavar="ID")
@json_option
def disable(ident: str, as_json: bool) -> None:
    """Disable ID; it stays installed."""
    _simple(lambda inst: inst.disable(ident), as_json)


@mod.command()
@click.argument("ident", metavar="ID")
@click.argument("source", required=False)
@yes_option
@json_option
def update(ident: str, source: str | None, yes: bool, as_json: bool) -> None:
    """Update ID from SOURCE (default: where it was installed from); rolls back on any failure."""
    _simple(lambda inst: inst.update(ident, source, consent=_consent(yes, "Update")), as_json)


@mod.command()
@click.argument("ident", metavar="ID")
@yes_option
@json_option
def uninstall(ident: str, yes: bool, as_json: bool) -> None:
    """Remove ID's files and records (asks on a terminal unless --yes)."""
    from modgate.ext.errors import fail

    if not yes and not (_tty() and click.confirm(f"Uninstall {ident}?", default=False, err=True)):
        fail("install.consent-required", f"Uninstall of {ident} was not confirmed; run again with --yes.", "--yes")
    _simple(lambda inst: inst.uninstall(ident), as_json)


@mod.command()
@click.argument("ident", metavar="ID")
@yes_option
@json_option
def approve(ident: str, yes: bool, as_json: bool) -> None:
    """Re-approve ID after its files changed: re-validate, review, record the new tree hash."""
    _simple(lambda inst: inst.approve(ident, consent=_consent(yes, "Approve")), as_json)


@mod.command("allow-executable")
@click.option("--revoke", is_flag=True, help="Lock executable mods again (already enabled ones stay enabled).")
@json_option
def allow_executable(revoke: bool, as_json: bool) -> None:
    """Allow mods with hooks/automations to be enabled (they install disabled until then)."""
    with installer() as inst:
        result = inst.allow_executable(not revoke)
    emit(result, as_json, lambda r: click.echo("executable mods " + ("allowed" if r["allowExecutable"] else
                                                                     "locked") + f" ({r['txId']})"))


@mod.command()
@click.argument("ident", metavar="ID")
@click.option("--grant", "grant", default=None, metavar="KEY", help="Grant permission KEY.")
@click.option("--deny", "deny", default=None, metavar="KEY", help="Deny permission KEY (runs needing it are skipped).")
@click.option("--reset", is_flag=True, help="Forget every decision: the next run asks again.")
@json_option
def permissions(ident: str, grant: str | None, deny: str | None, reset: bool, as_json: bool) -> None:
    """Show or change ID's permission decisions (projectRead, projectWrite, network, runtimeControl,
    runWhenAppClosed): granted, denied or undecided."""
    from modgate.ext.permissions import change, show

    with installer() as inst:
        if sum((grant is not None, deny is not None, reset)) > 1:
            raise click.UsageError("use one of --grant, --deny, --reset")
        if grant or deny or reset:
            change(inst, ident, grant=grant, deny=deny, reset=reset)
        result = show(inst, ident)

    def human(r: dict[str, Any]) -> None:
        for key, status in r["permissions"].items():
            click.echo(f"{key:<18} {status}")

    emit(result, as_json, human)


@mod.command()
@click.argument("ident", metavar="ID")
@json_option
def logs(ident: str, as_json: bool) -> None:
    """Print ID's runtime.log (hook and automation runs; secrets redacted)."""
    from modgate.ext import runlog

    with installer() as inst:
        rec = inst.resolve(ident)
        lines = runlog.read(inst.home, rec.id)
    emit({"ok": True, "lines": lines}, as_json, lambda r: click.echo("\n".join(r["lines"])))
