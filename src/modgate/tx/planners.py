"""Planners: turn a transaction's recipe and the current state into ops (pure given the state).

- ``command``: a queued command (a student's or an agent's): the handler is dry-run on the
  current state through a StateView, with the same effect check as the bus;
- ``import``: a heavy package, re-validated against the current registry, registered as one op;
- ``remove``: unregister a module;
- ``light``: a light user's approved request (prefs, their current values, the shortcuts module);
- ``extension`` lives with the extension area (:mod:`modgate.ext.planner`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modgate.errors import HandlerError, PayloadError, Problem
from modgate.host.model import Host
from modgate.modules import registry
from modgate.state import MISSING, JsonObject, Op, StateView, get_path, inverse_ops, path_within
from modgate.tx.model import Plan, Planner, TxError

LastEdit = Callable[[str, str], "tuple[int, list[Op]] | None"]


def _error(code: str, message: str, path: str = "recipe", **detail: Any) -> TxError:
    return TxError(Problem(code=code, path=path, message=message, detail=detail))


def command_planner(host: Host, journal_lookup: LastEdit) -> Planner:
    """``journal_lookup(action, scope)`` gives the journal entry undo/redo would use."""

    def plan(state: JsonObject, recipe: JsonObject) -> Plan:
        spec = host.commands.get(recipe["commandId"])
        if spec is None:
            raise _error("unknown-command", f"unknown command {recipe['commandId']!r}")
        info = {"commandId": spec.id, "payload": recipe.get("payload"), "role": recipe.get("role", "host"),
                "auditTag": spec.audit_tag}
        if spec.journal_action is not None:
            found = journal_lookup(spec.journal_action, spec.mutation_scope)
            ops = found[1] if found else []
            return Plan(ops=ops, scope=spec.mutation_scope, info={**info, "journalSeq": found[0] if found else None})
        view = StateView(state)
        payload: JsonObject = recipe.get("payload") or {}
        try:
            if spec.check is not None:
                spec.check(payload, view)
            result = spec.handler(view, payload)
        except (HandlerError, PayloadError) as exc:
            raise _error("command-execution-failed", f"command '{spec.id}' execution failed: {exc.message}") from exc
        outside = [p for p in view.staged_paths if not path_within(p, spec.writes)]
        if outside:
            raise _error("undeclared-write", f"command '{spec.id}' wrote {outside[0]} outside its declared writes",
                         outside[0])
        ops = view.ops()
        inverse_ops(state, ops)  # proves the ops apply to this state before anyone is asked to approve
        return Plan(ops=ops, scope=spec.mutation_scope, info={**info, "result": result})

    return plan


def import_planner(host: Host) -> Planner:
    def plan(state: JsonObject, recipe: JsonObject) -> Plan:
        from modgate.modules.package import validate_package

        current = registry.modules(state).get(str(recipe.get("package", {}).get("moduleId", "")))
        outcome = validate_package(recipe["package"], host,
                                   registered_version=current["moduleVersion"] if current else None,
                                   allow_downgrade=bool(recipe.get("allowDowngrade")))
        if outcome.problem is not None or outcome.package is None:
            problem = outcome.problem or Problem(code="invalid-package-root", path="package", message="invalid")
            raise TxError(problem)
        info = {key: outcome.envelope[key] for key in ("moduleId", "moduleVersion", "replaced")}
        return Plan(ops=registry.register_ops(state, outcome.package), scope=registry.REGISTRY_DOMAIN, info=info)

    return plan


def ops_planner(domains: tuple[str, ...]) -> Planner:
    """Generic changes (the host API's ``preview(changes)``): JSON-Patch-like ops on known domains."""

    def plan(state: JsonObject, recipe: JsonObject) -> Plan:
        ops = []
        for i, raw in enumerate(recipe.get("ops", [])):
            if not _valid_change(raw, domains):
                raise _error("tx-invalid-change", f"change {i} must be {{op: add|remove|replace, path: /<domain>/...,"
                             f" value}} on one of the domains {', '.join(domains)}", f"changes[{i}]")
            ops.append(Op.from_dict(raw))
        scope = ops[0].path.split("/")[1] if ops else domains[0]
        return Plan(ops=ops, scope=scope, info={"changeCount": len(ops)})

    return plan


def _valid_change(raw: Any, domains: tuple[str, ...]) -> bool:
    if not isinstance(raw, dict) or raw.get("op") not in ("add", "remove", "replace"):
        return False
    path = raw.get("path")
    return isinstance(path, str) and path.startswith("/") and path.split("/")[1] in domains


def remove_planner() -> Planner:
    def plan(state: JsonObject, recipe: JsonObject) -> Plan:
        module_id = recipe["moduleId"]
        ops = registry.remove_ops(state, module_id)
        if not ops:
            raise _error("module-not-found", f"no module {module_id!r} is registered", "moduleId")
        return Plan(ops=ops, scope=registry.REGISTRY_DOMAIN, info={"moduleId": module_id})

    return plan


__all__ = ["command_planner", "import_planner", "ops_planner", "remove_planner"]
def light_planner(host: Host) -> Planner:
    """``recipe["set"]``: ``{pointer: value}`` from the light pipeline's dry-run (G4/G5).

    Only the host's light surfaces may be written: ``/prefs``, the current values under
    ``/local``/``/sync`` that a preference's command writes, and the light track's shortcuts module,
    whose package is re-validated through the heavy import ABI here, at every (re)plan.
    """

    def plan(state: JsonObject, recipe: JsonObject) -> Plan:
        vocab = host.light
        if vocab is None:
            raise _error("tx-invalid-change", f"host {host.app_id!r} has no light track")
        allowed = _light_paths(vocab)
        ops = []
        for path, value in sorted(recipe.get("set", {}).items()):
            if not any(path == p or path.startswith(p + "/") for p in allowed):
                raise _error("tx-invalid-change", "a light change may only write preferences, their current"
                             " values and the shortcuts module", path)
            if path.startswith(f"/{registry.REGISTRY_DOMAIN}/"):
                _check_light_package(host, state, value)
            current = get_path(state, path)
            if value is None:
                if current is not MISSING:
                    ops.append(Op("remove", path))
            elif current != value or type(current) is not type(value):
                ops.append(Op("add" if current is MISSING else "replace", path, value))
        return Plan(ops=ops, scope="prefs", info={"intentId": recipe.get("intentId"), "changeCount": len(ops)})

    return plan


def _light_paths(vocab: Any) -> list[str]:
    return ["/prefs", *sorted({p.current_path for p in vocab.prefs}), registry.module_path(vocab.shortcut_module_id)]


def _check_light_package(host: Host, state: JsonObject, value: Any) -> None:
    from modgate.modules.package import validate_package

    if value is None:
        return
    current = registry.modules(state).get(host.light.shortcut_module_id) if host.light else None
    outcome = validate_package(value.get("package") if isinstance(value, dict) else None, host,
                               registered_version=current["moduleVersion"] if current else None)
    if outcome.problem is not None:
        raise TxError(outcome.problem)


__all__ = ["command_planner", "import_planner", "light_planner", "ops_planner", "remove_planner"]
