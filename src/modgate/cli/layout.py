"""``modgate layout``: the resolved layout of each device from the stored layout preferences."""

from __future__ import annotations

from typing import Any

import click

from modgate.cli.core import json_option, runtime
from modgate.cli.output import emit


def _rect(rect: dict[str, int] | None) -> str:
    if rect is None:
        return "-"
    return f"x={rect['x']} y={rect['y']} w={rect['width']} h={rect['height']}"


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def _human_target(device: str, entry: dict[str, Any], rules: dict[str, Any]) -> list[str]:
    view = entry["viewport"]
    lines = [f"{device}  {entry['profileId']}  {view['width']}x{view['height']}  {entry['resolutionStatus']}"
             f"  canvas {entry['canvasArea']:,} px²"]
    for name, panel in entry["panels"].items():
        lines.append(f"  {name:<12} {panel['mode']:<10} {_rect(panel['rect'])}")
    palette = entry["toolPalette"]
    lines.append(f"  {'toolPalette':<12} {palette['mode']:<10} edge {palette['edge']}")
    launcher = entry["launcher"]
    lines.append(f"  {'launcher':<12} {'visible' if launcher['visible'] else 'HIDDEN':<10} {_rect(launcher['rect'])}")
    lines.append(f"  reachable: launcher {_yes(entry['launcherReachable'])}, "
                 f"close/recover {_yes(entry['closeRecoverReachable'])}")
    lines += [f"  repaired: {r['step']} {r['panel']} -> {r['action']}" for r in rules["repairs"]]
    lines += [f"  code: {code}" for code in rules["failureCodes"]]
    lines.append(f"  hash {entry['deterministicHash']}")
    return lines


@click.command()
@click.option("--device", "devices", multiple=True, metavar="D",
              help="web, tablet or mobile; repeat for several (default: all three).")
@click.option("--viewport", metavar="WxH", help="Resolve for this viewport (default: each device's reference: "
                                                  "web 1440x1080, tablet 768x1024, mobile 390x844).")
@json_option
def layout(devices: tuple[str, ...], viewport: str | None, as_json: bool) -> None:
    """Show the resolved layout of each device (task 252 resolver).

    Reads the layout preferences stored at /prefs/layout/<device> (defaults when none) and prints
    each panel's resolved mode and rectangle, the launcher, the canvas area, the reachability
    checks and the deterministic hash. Changes nothing.
    """
    from modgate import adapt

    with runtime(read_only=True) as rt:
        state = rt.store.state()
    adaptation = adapt.resolve_stored(state, devices, viewport)
    result = adaptation.layout_view()

    def human(r: dict[str, Any]) -> None:
        for target in adaptation.targets:
            click.echo("\n".join(_human_target(target.target, r["targets"][target.target], target.rules())))

    emit(result, as_json, human)
