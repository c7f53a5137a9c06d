"""The light drill: light requests across the three device classes (task 258 floors).

Per device class, :data:`PER_DEVICE` requests through the light track's own service, each
approved and applied when it becomes a transaction: layout toggles of that device (two requests
taking the layout back and forth) and pen colours (the one the pen does not have yet). At the end
every applied request is rolled back, newest first, so a home drilled ``--into-current`` keeps
the person's own settings (these are planned rollback drills too). Runs only
when the light track (``modgate.light``) is installed and the host declares a light vocabulary;
otherwise the suite is reported as skipped and the light KPIs stay UNKNOWN.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modgate.signoff.drill import Drill

PER_DEVICE = 20
# Two layout requests per device that take its layout back and forth (light corpus phrasing).
TOGGLES = {
    "web": ("dock the data panel on the laptop", "make the input panel a floating window on the computer"),
    "tablet": ("collapse the input panel on my tablet", "put the data panel on the right on my tablet"),
    "mobile": ("hide the input panel on my phone", "let the input panel be automatic on my phone"),
}
COLOURS = (("red", "#FF0000"), ("blue", "#0000FF"))


def available() -> bool:
    return importlib.util.find_spec("modgate.light") is not None


def run(d: Drill) -> None:
    if not available() or getattr(d.rt.host, "light", None) is None:
        d.skipped.append("light: the light track (modgate.light) is not installed in this build")
        return
    from modgate.light.service import LightService

    service = LightService(d.rt)
    applied: list[str] = []
    for device, (there, back) in TOGGLES.items():
        for i in range(PER_DEVICE):
            if i % 2 == 0:  # the first toggle may find the layout already so: either outcome is right
                text = there if i % 4 == 0 else back
                expected = "applied|no-change" if i == 0 else "applied"
                d.case("light", f"light-{device}-layout-{i + 1}", expected,
                       lambda text=text, device=device: _request(d, service, text, device, applied))  # type: ignore[misc]
            else:
                d.case("light", f"light-{device}-pen-{i + 1}", "applied",
                       lambda device=device: _request(d, service, _pen_text(d), device, applied))  # type: ignore[misc]
    _restore(d, applied)


def _restore(d: Drill, applied: list[str]) -> None:
    """Take every applied request back, newest first: the person's own settings end as they were."""
    from modgate.signoff.drill import APPROVER

    for n, tx_id in enumerate(reversed(applied), start=1):
        d.case("light", f"light-restore-{n}", "rolled_back", lambda tx_id=tx_id: str(d.rt.tx.rollback(  # type: ignore[misc]
            tx_id, reason="light drill: restore the settings", requested_by=APPROVER)["code"]).replace("-", "_"))


def _pen_text(d: Drill) -> str:
    current = str(d.rt.store.state().get("prefs", {}).get("defaults", {}).get("penColor", "")).upper()
    name = next(n for n, hex_ in COLOURS if hex_ != current)
    return f"make my pen {name}"


def _request(d: Drill, service: Any, text: str, device: str, applied: list[str]) -> str:
    from modgate.signoff.drill import APPROVER

    out = service.propose(text, devices=(device,))
    if out.get("code") != "approval-pending":
        return str(out.get("code"))
    code = str(d.rt.approvals.approve(out["txId"], APPROVER).get("code"))
    if code == "applied":
        applied.append(out["txId"])
    return code
