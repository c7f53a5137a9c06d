"""``modgate signoff`` (task 258 GO / NO-GO from evidence) and ``modgate drill run`` (controlled fixtures)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from modgate.cli.core import json_option, runtime
from modgate.cli.output import emit, exit_code, human_failure
from modgate.errors import ModgateError, Problem

SUITE_CHOICES = ("rollback", "capability-reject", "light", "heavy", "all")


def _write_html(path: str, text: str) -> None:
    target = Path(path)
    if target.exists() and not target.is_file():
        raise ModgateError(Problem(code="signoff-html-write-failed", path=path,
                                   message=f"{path} exists and is not a regular file"))
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ModgateError(Problem(code="signoff-html-write-failed", path=path,
                                   message=f"cannot write {path}: {exc.strerror or exc}")) from exc


def _human(result: dict[str, Any]) -> None:
    click.echo(f"{result['decision']} ({result['mode']}) over {result['window']['label']}")
    for item in result["items"]:
        click.echo(f"  {item['status']:<8} {item['id']:<20} {item['title']}")
    for kpi in result["kpis"]:
        value = "-" if kpi["value"] is None else (f"{kpi['value']:.2%}" if kpi["id"] != "S-SLO-3" else
                                                  str(kpi["numerator"]))
        click.echo(f"  {kpi['status']:<8} {kpi['id']:<8} {value:>8}  {kpi['numerator']}/{kpi['denominator']}"
                   f"  {kpi['reason']}")


@click.command()
@click.option("--window", default="7d", show_default=True, help="Rolling window ending at --now: <N>d or <N>h.")
@click.option("--now", "now_text", default=None, metavar="ISO",
              help="The clock: the window's end as ISO 8601 (default: the current time).")
@click.option("--html", "html_path", default=None, metavar="FILE",
              help="Also write the report as one self-contained HTML page (inline SVG charts).")
@json_option
def signoff(window: str, now_text: str | None, html_path: str | None, as_json: bool) -> None:
    """Beta signoff (task 258): every KPI computed from this home's evidence, then GO or NO-GO.

    Reads the audit log and transaction store of MODGATE_HOME, re-measures the determinism
    KPIs (rejected imports re-validated, action graphs rebuilt, light requests re-planned on
    their base state) and marks six checklist items PASS, FAIL or UNKNOWN (a sample floor not
    met). Exit 0 on GO; 1 on NO-GO (code signoff-no-go, the report in the output) or another
    coded failure.
    """
    from modgate.signoff import html
    from modgate.signoff.service import envelope, parse_now, parse_window, report

    parse_window(window)
    now = parse_now(now_text) if now_text is not None else time.time()
    with runtime(read_only=True) as rt:  # signoff only reads: it never creates or changes a home
        result = report(rt, window=window, now=now)
    if html_path is not None:
        _write_html(html_path, html.render(result))
    body = envelope(result)
    if html_path is not None:
        body["html"] = html_path
    if as_json:
        emit(body, as_json)
    _human(body)
    if not body["ok"]:
        human_failure(body)
    raise SystemExit(exit_code(body))


@click.group()
def drill() -> None:
    """Controlled fixtures for beta signoff (task 258)."""


@drill.command("run")
@click.option("--suite", type=click.Choice(SUITE_CHOICES), default="all", show_default=True,
              help="Which drills to run.")
@click.option("--into-current", is_flag=True,
              help="Record the evidence in MODGATE_HOME itself (default: a new home under MODGATE_HOME/drills/).")
@json_option
def drill_run(suite: str, into_current: bool, as_json: bool) -> None:
    """Run controlled fixtures and record them as evidenceChannel controlled_fixture.

    Planned rollback drills, a capability refused after a partial apply (forced rollback),
    light requests on web, tablet and mobile, valid and invalid heavy imports. Each case carries
    fixtureRunId, fixtureCaseId and expectedOutcome; the command fails (drill-failed) when a
    case does not end as expected. Without --into-current the drills run in their own home.
    """
    from modgate.app import open_runtime, remembered_host, resolve_home
    from modgate.cli.core import selected_host
    from modgate.signoff import drill as drills
    from modgate.signoff.service import report

    now = time.time()
    run_id = drills.new_run_id(now)
    home = resolve_home() if into_current else resolve_home() / "drills" / run_id
    suites = drills.SUITES if suite == "all" else (suite,)
    # The drill home belongs to the same host application as the current one.
    with open_runtime(home, selected_host() or remembered_host()) as rt:
        done = drills.run(rt, suites, run_id)
        decision = report(rt, window="7d", now=time.time() + 1)
    failed = [r.to_dict() for r in done.results if not r.ok]
    body: dict[str, Any] = {
        "ok": not failed, "code": "drill-completed" if not failed else "drill-failed", "fixtureRunId": run_id,
        "home": str(home), "intoCurrent": into_current, "suites": list(suites), "cases": len(done.results),
        "failed": failed, "skipped": done.skipped, "signoff": {"decision": decision.decision,
                                                                "items": [i.to_dict() for i in decision.items]}}
    if failed:
        body.update(path="cases", message=f"{len(failed)} drill case(s) did not end as expected: "
                                          + ", ".join(f["caseId"] for f in failed[:5]))
    emit(body, as_json, _human_drill)


def _human_drill(r: dict[str, Any]) -> None:
    click.echo(f"drill {r['fixtureRunId']}: {r['cases']} case(s) in {r['home']}")
    for note in r["skipped"]:
        click.echo(f"  skipped: {note}")
    click.echo(f"  signoff of that home: {r['signoff']['decision']} "
               + ", ".join(f"{i['id']}={i['status']}" for i in r["signoff"]["items"]))
