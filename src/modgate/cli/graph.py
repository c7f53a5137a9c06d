"""``modgate graph``: the action graph of the host and of every enabled module."""

from __future__ import annotations

import sys
from typing import Any

import click

from modgate.cli.core import json_option, runtime
from modgate.cli.output import emit


def _problem_line(p: dict[str, Any]) -> str:
    return f"{p['code']}: {p.get('moduleId', '')}.{p.get('actionId', '')} {p['message']}"


def _verify_summary(report: dict[str, Any]) -> list[str]:
    counts = report["counts"]
    lines = [f"verify: {counts['verified']} verified, {counts['unverified']} unverified, "
             f"{counts['problems']} problems"]
    lines += [f"  unverified {u['moduleId']}.{u['actionId']}: {u['code']}: {u['message']}"
              for u in report["unverified"]]
    lines += ["  " + _problem_line(p) for p in report["problems"]]
    return lines


def _human(result: dict[str, Any]) -> None:
    for graph in result["modules"]:
        click.echo(f"{graph['moduleId']}  ({len(graph['actions'])} actions)")
        for a in graph["actions"]:
            gate = " [approval]" if a["requiresApproval"] else ""
            undo = a["undoCommand"] or "-"
            click.echo(f"  {a['id']:<24} calls {','.join(a['calls']):<18} undo {undo:<18} "
                       f"{'/'.join(a['surface'])}{gate}")
            for path in a["mutates"]:
                click.echo(f"      mutates {path}")
    if "verify" in result:
        for line in _verify_summary(result["verify"]):
            click.echo(line)


@click.command()
@click.argument("module_id", required=False)
@json_option
@click.option("--mermaid", "as_mermaid", is_flag=True, help="Print a Mermaid flowchart instead.")
@click.option("--dot", "as_dot", is_flag=True, help="Print a Graphviz dot graph instead.")
@click.option("--verify", "do_verify", is_flag=True,
              help="Dry-run every action on a copy of the state; exit 1 if one writes outside its mutates.")
def graph(module_id: str | None, as_json: bool, as_mermaid: bool, as_dot: bool, do_verify: bool) -> None:
    """Show the action graph v1.0: per module, what each action calls and mutates.

    MODULE_ID limits the output to one module (``host`` is the host's own commands).
    """
    from modgate import graph as core

    if sum((as_json, as_mermaid, as_dot)) > 1:
        raise click.UsageError("choose at most one of --json, --mermaid, --dot")
    with runtime(read_only=True) as rt:
        graphs = rt.graphs()
        if module_id is not None:
            graphs = [core.find_graph(graphs, module_id)]
        report = rt.verify_graphs(module_id) if do_verify else None
    if as_mermaid or as_dot:
        sys.stdout.write(core.to_mermaid(graphs) if as_mermaid else core.to_dot(graphs))
        if report is not None:
            click.echo("\n".join(_verify_summary(report)), err=True)
        raise SystemExit(0 if report is None or report["ok"] else 1)
    result: dict[str, Any] = {"ok": True, **core.graphs_document(graphs)}
    if report is not None:
        result["verify"] = report
        if not report["ok"]:
            first = report["problems"][0]
            result.update(ok=False, code=first["code"], path=first.get("path", ""),
                          message=f"{report['counts']['problems']} action graph problem(s); first: {first['message']}")
    emit(result, as_json, _human)
