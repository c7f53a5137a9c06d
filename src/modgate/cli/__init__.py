"""The ``modgate`` command line.

Subcommands are registered by dotted path and imported only when run, so ``modgate --help``
costs little more than click itself. Exit status: 0 ok, 1 coded failure, 2 usage error,
3 waiting for approval.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from modgate import __version__

# name -> (module, attribute, one-line help). Keep sorted by name.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "click": ("modgate.cli.heavy", "click_", "Click a module's slot contribution: dispatch its bound command."),
    "import": ("modgate.cli.heavy", "import_", "Import a heavy module package (validated, previewed, approved)."),
    "lint": ("modgate.cli.heavy", "lint", "Report every problem of a module package, with hints."),
    "modules": ("modgate.cli.heavy", "modules", "List imported heavy modules; `modules show ID`."),
    "new": ("modgate.cli.heavy", "new", "Create starter files: `new module MODULE_ID`."),
    "remove": ("modgate.cli.heavy", "remove", "Remove an imported module (a transaction)."),
    "slots": ("modgate.cli.heavy", "slots", "Show the slot contributions of all enabled modules."),
    "automations": ("modgate.cli.automations", "automations", "Extension automations: list, run-due, serve."),
    "events": ("modgate.cli.events", "events", "Emit an extension event to the hooks of enabled mods."),
    "modsbar": ("modgate.cli.modsbar", "modsbar", "Show the modsBar and run its actions."),
    "approvals": ("modgate.cli.core", "approvals", "List, approve and reject queued commands."),
    "audit": ("modgate.cli.core", "audit", "Show and verify the hash-chained audit log."),
    "commands": ("modgate.cli.core", "commands", "List the host's commands with their metadata."),
    "demo": ("modgate.cli.demo", "demo", "A scripted walk-through of modgate in a temporary home."),
    "drill": ("modgate.cli.signoff", "drill", "Controlled fixtures for beta signoff: `drill run --suite ...`."),
    "dispatch": ("modgate.cli.core", "dispatch", "Dispatch a command through the bus."),
    "mod": ("modgate.cli.extensions", "mod", "Extension mods: init, validate, inspect, install, update, uninstall."),
    "grants": ("modgate.cli.grants", "grants", "Capability grants of heavy modules: list, grant, revoke."),
    "graph": ("modgate.cli.graph", "graph", "Show and verify the action graph of every module."),
    "layout": ("modgate.cli.layout", "layout", "Show the resolved layout of each device (panels, launcher, canvas)."),
    "light": ("modgate.cli.light", "light", "Plain-language changes: propose, answer, show, artifacts."),
    "mcp": ("modgate.cli.mcp", "mcp", "Serve commands and module actions to LLM clients over MCP (stdio)."),
    "prefs": ("modgate.cli.light", "prefs", "Show the light user's preferences."),
    "signoff": ("modgate.cli.signoff", "signoff", "Beta signoff (task 258): KPIs from evidence, then GO / NO-GO."),
    "state": ("modgate.cli.core", "state", "Show the state domains."),
    "studio": ("modgate.cli.studio", "studio", "The local web app: light lane, heavy lane, one transaction surface."),
    "tx": ("modgate.cli.tx", "tx", "Transactions: list, show, approve, reject, apply, rollback, refresh."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(entry[0])
        command: click.Command = getattr(module, entry[1])
        return command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["modgate.json"] = "--json" in args
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        from modgate.cli.output import guarded

        return guarded(lambda: super(LazyGroup, self).invoke(ctx), bool(ctx.meta.get("modgate.json")))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help comes from the table above, so --help imports no subcommand module.
        rows = [(name, COMMANDS[name][2]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="modgate")
@click.option("--host", "host_name", default=None, metavar="NAME",
              help="Host application: board, codexchat, or an installed one (entry point group modgate.hosts)."
                   "  [default: the home's host, else board]")
@click.pass_context
def cli(ctx: click.Context, host_name: str | None) -> None:
    """modgate: make an application safely moddable.

    State lives in MODGATE_HOME (default: the platform's user data folder). A home belongs to
    the host application it was first opened with; --host goes before the subcommand.
    """
    # Only the name is kept here: resolving it (maybe reading entry points) waits for a command
    # that needs the host, so `modgate --help` and `modgate --host x --help` stay cheap.
    ctx.meta["modgate.host"] = host_name


def main(argv: list[str] | None = None) -> Any:
    return cli.main(args=argv, prog_name="modgate")
