"""``modgate demo``: a scripted walk-through a newcomer can watch and understand.

It runs real commands of this installation against a temporary MODGATE_HOME (removed at the
end unless --keep): the same bus, store and audit log as every other command.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import click

from modgate.app import Runtime, open_runtime

Step = Callable[[Runtime, Callable[[str], None]], None]


def _show(rt: Runtime, say: Callable[[str], None]) -> None:
    cmds = rt.host.sorted_commands()
    gated = [c.id for c in cmds if c.requires_approval]
    say(f"The '{rt.host.app_id}' host {rt.host.app_version} offers {len(cmds)} commands "
        f"in slots {', '.join(rt.host.ui_slots)}.")
    for scope in ("doc", "sync", "local"):
        ids = [c.id for c in cmds if c.mutation_scope == scope]
        say(f"  {scope:<5} ({len(ids):>2}): {', '.join(ids[:6])}{', ...' if len(ids) > 6 else ''}")
    say(f"  {len(gated)} doc commands need the host's approval when a student or an agent asks.")


def _dispatch_some(rt: Runtime, say: Callable[[str], None]) -> None:
    for command_id, payload in (("setTool", {"tool": "laser"}), ("setPenColor", {"color": "#1e90ff"}),
                                ("setViewMode", {"mode": "presentation"}), ("setPenWidth", {"width": 999})):
        out = rt.bus.dispatch(command_id, payload)
        verdict = "executed" if out["ok"] else f"refused: {out['code']} — {out['message']}"
        say(f"  host → {command_id} {payload}: {verdict}")
    say(f"  pen color is now {rt.store.state()['local']['tool']['penColor']} (stored upper-case).")


def _student_edit(rt: Runtime, say: Callable[[str], None]) -> None:
    block = {"id": "blk-demo", "segments": [{"id": "s1", "type": "text", "orderIndex": 0,
                                             "html": "<p>Solve x² − 5x + 6 = 0</p>"}]}
    out = rt.bus.dispatch("insertBlock", {"block": block}, role="student")
    say(f"  student → insertBlock: {out['code']} (queued as {out.get('approvalId')})")
    say(f"  blocks in the document: {len(rt.store.state()['doc']['stepBlocks'])} — nothing changed yet.")
    approved = rt.bus.approve(out["approvalId"])
    say(f"  host approves {out['approvalId']}: {approved['code']}; blocks now: "
        f"{len(rt.store.state()['doc']['stepBlocks'])}")


def _undo(rt: Runtime, say: Callable[[str], None]) -> None:
    out = rt.bus.dispatch("undo")
    say(f"  host → undo: reversed journal entry #{out['result']['undone']}; blocks now: "
        f"{len(rt.store.state()['doc']['stepBlocks'])}")
    out = rt.bus.dispatch("redo")
    say(f"  host → redo: replayed #{out['result']['redone']}; then undo again.")
    rt.bus.dispatch("undo")


def _heavy_module(rt: Runtime, say: Callable[[str], None]) -> None:
    from modgate.modules.package import validate_package
    from modgate.modules.registry import slot_contributions
    from modgate.modules.starter import new_module_package

    outcome = validate_package(new_module_package("geo-tools"), rt.host)
    say(f"  validate geo-tools: {'valid' if outcome.ok else outcome.envelope['code']}")
    assert outcome.package is not None
    shown = rt.tx.preview(track="heavy", kind="import", title="import geo-tools",
                                recipe={"package": outcome.package})
    entry = shown["preview"]["entries"][0]
    say(f"  preview {shown['txId']}: {entry['op']} {entry['path']} ({shown['previewHash'][:23]}…)")
    token = rt.tx.approve(shown["txId"], preview_hash=shown["previewHash"])["approvalToken"]
    rt.tx.apply(shown["txId"], approval_token=token)
    ids = [c["contributionId"] for items in slot_contributions(rt.store.state()).values() for c in items]
    say(f"  approved and applied; slot contributions: {', '.join(ids)}")
    rt.tx.rollback(shown["txId"], reason="demo")
    say(f"  rolled back from the commit log: {len(slot_contributions(rt.store.state()))} contributions left")


def _audit(rt: Runtime, say: Callable[[str], None]) -> None:
    from modgate.store import audit

    events = audit.recent(rt.db, 8)
    for e in events:
        say(f"  #{e['seq']:<3} {e['eventType']:<28} {e['role'] or '':<8} {e['commandId'] or ''}")
    check = audit.verify(rt.db)
    say(f"  hash chain: {'verified' if check['ok'] else 'BROKEN'} over {check['count']} events.")


STEPS: list[tuple[str, Step]] = [
    ("The host and its commands", _show),
    ("The host dispatches a few commands (one with a bad payload)", _dispatch_some),
    ("A student edits the document: queued, then approved", _student_edit),
    ("Undo and redo run over the journal", _undo),
    ("A heavy module import is a transaction: preview, approve, apply, roll back", _heavy_module),
    ("The audit trail, hash-chained and verified", _audit),
]


@click.command()
@click.option("--keep", is_flag=True, help="Keep the temporary MODGATE_HOME and print its path.")
@click.option("--pause", type=click.FloatRange(min=0, max=60), default=0.0, show_default=True,
              help="Seconds to pause between steps (0-60).")
def demo(keep: bool, pause: float) -> None:
    """A scripted walk-through in a temporary MODGATE_HOME."""
    home = Path(tempfile.mkdtemp(prefix="modgate-demo-"))
    os.environ["MODGATE_HOME"] = str(home)
    click.secho(f"modgate demo — temporary MODGATE_HOME={home}", bold=True)
    rt = open_runtime(home)
    try:
        for number, (title, step) in enumerate(STEPS, 1):
            click.secho(f"\n{number}. {title}", bold=True)
            step(rt, click.echo)
            time.sleep(pause)
    finally:
        rt.close()
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
    click.secho("\nDone." + (f" State kept in {home}" if keep else " Temporary home removed."), bold=True)


