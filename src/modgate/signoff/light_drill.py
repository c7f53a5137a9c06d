"""The light drill: light requests across the three device classes (task 258 floors).

Runs only when the light track (``modgate.light``) is installed and the host declares a light
vocabulary; otherwise the suite is reported as skipped and the light KPIs stay UNKNOWN.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modgate.signoff.drill import Drill


def available() -> bool:
    return importlib.util.find_spec("modgate.light") is not None


def run(d: Drill) -> None:
    if not available() or getattr(d.rt.host, "light", None) is None:
        d.skipped.append("light: the light track (modgate.light) is not installed in this build")
        return
