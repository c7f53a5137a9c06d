"""``modgate mcp``: serve the action graph and commands to LLM clients over MCP (stdio)."""

from __future__ import annotations

import importlib.util

import click

from modgate.cli.core import runtime
from modgate.errors import ModgateError, Problem


@click.command()
def mcp() -> None:
    """Serve host commands and module actions as MCP tools over stdio.

    Tools: every host command (named by its id) and every action of every enabled module
    (named MODULE_ID.ACTION_ID). Resources: modgate://graph and modgate://graph/MODULE_ID.
    Calls run through the command bus as the agent role: approval-gated commands are only
    queued; a human approves them with `modgate approvals approve ID`. Point an MCP client at
    the command `modgate mcp` (stdio transport); MODGATE_HOME selects the state.
    """
    if importlib.util.find_spec("mcp") is None:  # before opening a home: nothing to serve without it
        raise ModgateError(Problem(code="mcp-sdk-missing", path="",
                                   message="the MCP SDK is not installed; install modgate[mcp]",
                                   hint="pip install 'modgate[mcp]'"))
    from modgate.embed import serve_mcp

    with runtime() as rt:
        serve_mcp(rt)
