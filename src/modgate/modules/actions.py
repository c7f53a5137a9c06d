"""Running a heavy module's actions (slot contributions), with task 254's capability check.

This is the one place the rule lives, whatever the entry point (CLI ``click``, the MCP server, the
studio, a host calling Python): a module action whose command writes shared state (``doc`` or
``sync`` scope) needs the module's ``state.write.tx`` grant.

- :func:`check_capability` runs before anything is queued or previewed, so a refusal is a no-op;
- :func:`capability_guard` is installed in the transaction engine by the composition root and
  re-checks inside every apply of a module's command transaction (a host's click, or a student's
  or agent's queued click approved later). A grant revoked meanwhile forces the rollback.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modgate import caps, roles
from modgate.caps import store as caps_store
from modgate.errors import ModgateError, Problem
from modgate.host.model import CommandSpec, Host
from modgate.modules import registry
from modgate.state import JsonObject
from modgate.store.db import Database

if TYPE_CHECKING:
    from modgate.app import Runtime

SHARED_SCOPES = ("doc", "sync")
CAPABILITY = "state.write.tx"


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """A dispatch envelope, or (for a host writing shared state) a previewed transaction to approve."""

    envelope: JsonObject | None = None
    pending: JsonObject | None = None


def needs_grant(spec: CommandSpec | None) -> bool:
    return spec is not None and spec.mutation_scope in SHARED_SCOPES


def find_contribution(state: JsonObject, contribution_id: str) -> JsonObject:
    for items in registry.slot_contributions(state).values():
        for item in items:
            if item["contributionId"] == contribution_id:
                return dict(item)
    raise ModgateError(Problem(code="contribution-not-found", path="contributionId",
                               message=f"no contribution {contribution_id!r}; see `modgate slots`"))


def check_capability(db: Database, module: JsonObject, tx_id: str | None, *,
                     now: float | None = None) -> Problem | None:
    """``state.write.tx`` for ``module``, in task 254's evaluation order; None when allowed.

    Outside a transaction (``tx_id`` None) a refusal is audited here; inside one, the engine
    audits the forced rollback.
    """
    now = time.time() if now is None else now
    package = module["package"]
    decision = caps.evaluate_all(
        module_id=module["moduleId"], module_version=module["moduleVersion"], capability_ids=[CAPABILITY],
        requested=package.get("capabilitiesRequested", []), grants=caps_store.active_grants(db, module["moduleId"]),
        session_id=caps_store.current_session(), now=now,
        execution=caps.Execution(stage="transaction", transaction_id=tx_id or "preview"))
    if decision.allowed or decision.failed is None:
        return None
    if tx_id is None:
        caps_store.record(db, [caps.rejection_event(decision.failed, event_id=f"cap-{secrets.token_hex(6)}",
                                                    now=now)], correlation_id=module["moduleId"])
    return decision.failed.problem()


def capability_guard(host: Host, db: Database) -> Any:
    """An apply guard for the transaction engine: module command transactions re-check the grant."""

    def guard(tx: JsonObject, new_state: JsonObject) -> Problem | None:
        recipe = tx["recipe"]
        module_id = recipe.get("moduleId")
        if tx["kind"] != "command" or not module_id or not needs_grant(host.commands.get(recipe.get("commandId"))):
            return None
        module = registry.modules(new_state).get(module_id)
        if module is None:
            return Problem(code="module-not-found", path="moduleId",
                           message=f"module {module_id!r} is no longer registered")
        return check_capability(db, module, tx["txId"])

    return guard


def run_contribution(rt: Runtime, contribution_id: str, *, role: str, meta: JsonObject | None = None) -> Outcome:
    """Click ``contribution_id`` (``<pluginId>:<entryId>``, see ``modgate slots``) as ``role``."""
    contribution = find_contribution(rt.store.state(), contribution_id)
    return run_module_action(rt, module_id=contribution["moduleId"], command_id=contribution["commandId"],
                             payload=contribution["payload"], role=role, title=f"click {contribution_id}",
                             meta={**(meta or {}), "contributionId": contribution_id})


def run_module_action(rt: Runtime, *, module_id: str, command_id: str, payload: Any, role: str, title: str,
                      meta: JsonObject | None = None) -> Outcome:
    """Run one of ``module_id``'s actions (its bound command and payload) as ``role``.

    Shared-state writes need the grant first. A host's shared-state action becomes a transaction
    (returned as ``pending`` for the caller to approve); everything else is dispatched through
    the bus, which queues approval-gated commands of every role that must wait for a host.
    """
    state = rt.store.state()
    module = registry.modules(state).get(module_id)
    if module is None:
        raise ModgateError(Problem(code="module-not-found", path="moduleId", message=f"no module {module_id!r}"))
    spec = rt.host.commands.get(command_id)
    if needs_grant(spec):
        refused = check_capability(rt.db, module, None)
        if refused is not None:
            raise ModgateError(refused)
    if spec is not None and needs_grant(spec) and roles.canonical(role) == roles.HOST:
        value = spec.normalize(payload) if spec.normalize else payload
        shown = rt.tx.preview(track="heavy", kind="command", title=title, recipe={
            "commandId": spec.id, "payload": value, "role": roles.HOST, "moduleId": module_id})
        return Outcome(pending=shown)
    envelope = rt.bus.dispatch(command_id, payload, role=role, meta={**(meta or {}), "moduleId": module_id})
    return Outcome(envelope=envelope)
