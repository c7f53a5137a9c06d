"""The ``extension`` planner: the install-record changes of an extension install, update, uninstall,
enable, disable, re-approval or setting (the installer moves the files; see :mod:`modgate.ext.installer`).

Pure given the state, like every planner.
"""

from __future__ import annotations

from modgate.errors import Problem
from modgate.state import MISSING, JsonObject, Op, get_path
from modgate.tx.model import Plan, Planner, TxError

EXTENSIONS_DOMAIN = "extensions"  # the state domain mirroring the install records


def extension_planner() -> Planner:
    """``recipe["set"]``: ``{pointer under /extensions: new value, or None to remove}``."""

    def plan(state: JsonObject, recipe: JsonObject) -> Plan:
        ops = []
        for path, value in sorted(recipe.get("set", {}).items()):
            if not path.startswith(f"/{EXTENSIONS_DOMAIN}/"):
                raise TxError(Problem(code="tx-invalid-change", path=path,
                                      message=f"an extension change must stay under /{EXTENSIONS_DOMAIN}"))
            current = get_path(state, path)
            if value is None:
                if current is not MISSING:
                    ops.append(Op("remove", path))
            elif current != value:
                ops.append(Op("add" if current is MISSING else "replace", path, value))
        info = {"action": recipe.get("action"), "installId": recipe.get("installId")}
        return Plan(ops=ops, scope=EXTENSIONS_DOMAIN, info=info)

    return plan
