"""Shared output rules for every command: ``--json`` prints exactly one object; exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click
import orjson

from modgate.errors import ModgateError, file_system_error

WAITING_CODES = frozenset({"approval-required", "approval-pending"})


def exit_code(result: dict[str, Any]) -> int:
    if result.get("ok"):
        return 0
    return 3 if result.get("code") in WAITING_CODES else 1


def emit(result: dict[str, Any], as_json: bool, human: Callable[[dict[str, Any]], None] | None = None) -> NoReturn:
    """Print ``result`` (as JSON, or through ``human``) and exit with its status."""
    if as_json:
        sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    elif result.get("ok") is False:
        human_failure(result)
    elif human is not None:
        human(result)
    else:
        click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    sys.stdout.flush()
    raise SystemExit(exit_code(result))


def human_failure(result: dict[str, Any]) -> None:
    code = result.get("code", "error")
    line = f"{code}: {result.get('message') or result.get('error') or ''}"
    if result.get("path"):
        line += f" (at {result['path']})"
    if code in WAITING_CODES:
        click.echo(line)
        if result.get("approvalId"):
            click.echo(f"Approve with: modgate approvals approve {result['approvalId']}")
    else:
        click.echo(line, err=True)


def plain(value: Any) -> str:
    """A value as a person reads it in human output: JSON, not Python's repr."""
    return value if isinstance(value, str) else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def failure(exc: ModgateError) -> dict[str, Any]:
    out: dict[str, Any] = {"ok": False, **exc.problem.to_dict()}
    return out


def guarded(body: Callable[[], Any], as_json: bool) -> Any:
    """Run a command; a coded error anywhere becomes a clean failure, never a traceback."""
    try:
        return body()
    except ModgateError as exc:
        emit(failure(exc), as_json)
    except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
        raise
    except OSError as exc:  # a file or folder the user named: coded, never internal-error
        emit(failure(file_system_error(exc)), as_json)
    except Exception as exc:
        if os.environ.get("MODGATE_DEBUG"):
            raise
        emit({"ok": False, "code": "internal-error", "path": "",
              "message": f"unexpected {type(exc).__name__}: {exc} (set MODGATE_DEBUG=1 for a traceback)"}, as_json)
