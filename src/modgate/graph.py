"""Action graph v1.0 (seed 002, task 255): what every module calls and mutates, as data.

Graphs are derived, never hand-written:

* the ``host`` module has one action per host command (``id`` = the command id);
* each enabled heavy module has one action per command binding (``id`` = ``bindingId``), plus
  one per ui entry with an action that no binding covers (``id`` = the ui entry id);
  ``calls`` = the bound command, ``mutates`` = that command's declared ``writes``,
  ``requiresApproval`` = ``{"reason", "level": "hard"}`` for approval-gated commands (the bus
  enforces it: a hard gate), ``undoCommand`` from the catalog, ``surface`` from the ui entry's
  slot and type plus ``commandPalette``;
* other sources add theirs (the composition root adds each enabled extension mod's hooks and
  automations from :mod:`modgate.graph_ext`).

:func:`read_graph` parses a graph with the seed's defaults and branches on
``actionGraphVersion``; :func:`verify` dry-runs every action on a copy of the state and
compares the writes it *observes* (a diff of the state before and after) with ``mutates``.
Renderers: :func:`to_mermaid`, :func:`to_dot`.

Pure core: no I/O, no clock. :func:`verify`'s dry-run function is injected (the composition
root passes :func:`modgate.bus.dry_runner`, a bus over an in-memory copy).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson

from modgate.errors import ModgateError, Problem
from modgate.host.model import CommandSpec, Host
from modgate.state import JsonObject, escape_token, path_within

# (commandId, payload, state) -> (dispatch envelope, state after): see modgate.bus.dry_runner.
DryRunFn = Callable[[str, Any, JsonObject], "tuple[JsonObject, JsonObject]"]
# (state, moduleId or None) -> report entries of actions that are never dry-run.
Unverified = Callable[[JsonObject, "str | None"], "list[JsonObject]"]

ACTION_GRAPH_VERSION = "1.0"
HOST_MODULE_ID = "host"
SURFACES = ("toolbar", "panel", "commandPalette", "automation", "background")
TOOLBAR_SLOTS = frozenset({"chrome-top-toolbar", "toolbar-inline", "toolbar-bottom"})
PANEL_SLOTS = frozenset({"left-panel"})
APPROVAL_LEVELS = ("soft", "hard")
# Bus refusals meaning "this action cannot run in this state": unverified, not a violation.
UNVERIFIABLE_CODES = frozenset({"command-execution-failed", "invalid-payload"})
_VERSION = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")


# --- the model ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    id: str
    label: str
    calls: tuple[str, ...]
    mutates: tuple[str, ...]
    requires_approval: bool | JsonObject = False
    undo_command: str | None = None
    surface: tuple[str, ...] = ("commandPalette",)
    extra: JsonObject | None = None  # fields beyond the seed's (readers ignore them)

    def to_dict(self) -> JsonObject:
        approval = self.requires_approval
        return {
            "id": self.id,
            "label": self.label,
            "calls": list(self.calls),
            "mutates": list(self.mutates),
            "requiresApproval": dict(approval) if isinstance(approval, dict) else approval,
            "undoCommand": self.undo_command,
            "surface": list(self.surface),
            **(self.extra or {}),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionGraph:
    module_id: str
    actions: tuple[Action, ...]
    action_graph_version: str = ACTION_GRAPH_VERSION

    def to_dict(self) -> JsonObject:
        return {
            "actionGraphVersion": self.action_graph_version,
            "moduleId": self.module_id,
            "actions": [a.to_dict() for a in self.actions],
        }

    def action(self, action_id: str) -> Action | None:
        return next((a for a in self.actions if a.id == action_id), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class DryRun:
    """One action to dry-run: the command it calls and the payload it calls it with."""

    module_id: str
    action_id: str
    command_id: str
    payload: Any


# --- derivation -----------------------------------------------------------------------------------


def humanize(command_id: str) -> str:
    """``setPenColor`` → ``Set pen color``."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", command_id).split()
    text = " ".join(w.lower() if i else w.capitalize() for i, w in enumerate(words))
    return text or command_id


def approval_of(spec: CommandSpec) -> bool | JsonObject:
    if not spec.requires_approval:
        return False
    return _approval_reason(spec.mutation_scope)


@cache
def _approval_reason(scope: str) -> JsonObject:
    # Shared between actions (cheap for 10,000 actions); Action.to_dict copies it.
    return {
        "reason": f"{scope}-scoped command: it changes the shared {scope} state, "
                  "so an agent's or student's call waits for a host's approval",
        "level": "hard",
    }


@cache
def surface_of(slot: str | None, ui_type: str | None) -> tuple[str, ...]:
    found = {"commandPalette"}
    if ui_type == "panel" or slot in PANEL_SLOTS:
        found.add("panel")
    elif slot in TOOLBAR_SLOTS:
        found.add("toolbar")
    return tuple(s for s in SURFACES if s in found)


def command_action(spec: CommandSpec, *, action_id: str | None = None, label: str | None = None,
                   surface: tuple[str, ...] = ("commandPalette",)) -> Action:
    return Action(
        id=action_id or spec.id,
        label=label or humanize(spec.id),
        calls=(spec.id,),
        mutates=tuple(spec.writes),
        requires_approval=approval_of(spec),
        undo_command=spec.undo_command,
        surface=surface,
    )


def host_graph(host: Host) -> ActionGraph:
    return ActionGraph(module_id=HOST_MODULE_ID, actions=tuple(command_action(s) for s in host.sorted_commands()))


def _unknown_command_action(action_id: str, label: str, command_id: str, surface: tuple[str, ...]) -> Action:
    # The host does not offer the command: nothing is known about what it writes, so the
    # action is listed (verify reports it) and treated as gated and irreversible.
    return Action(id=action_id, label=label, calls=(command_id,), mutates=(),
                  requires_approval={"reason": f"unknown command {command_id!r}", "level": "hard"},
                  undo_command=None, surface=surface)


def _module_steps(package: JsonObject) -> Iterator[tuple[str, str, str, Any, JsonObject]]:
    """(actionId, label, commandId, payload, ui entry) per binding, then per uncovered ui action."""
    ui = {e["id"]: e for e in package.get("pluginManifest", {}).get("ui", [])}
    covered = set()
    for binding in package.get("commandBindings", []):
        entry = ui.get(binding.get("uiEntryId"), {})
        covered.add(binding.get("uiEntryId"))
        label = (entry.get("props") or {}).get("label") or binding["bindingId"]
        yield binding["bindingId"], label, binding["commandId"], binding.get("payload", {}), entry
    for entry_id, entry in ui.items():
        action = entry.get("action")
        if action and entry_id not in covered:
            label = (entry.get("props") or {}).get("label") or entry_id
            yield entry_id, label, action["commandId"], action.get("payload", {}), entry


def module_graph(host: Host, entry: Mapping[str, Any]) -> ActionGraph:
    package: JsonObject = entry["package"]
    actions = []
    for action_id, label, command_id, _payload, ui in _module_steps(package):
        surface = surface_of(ui.get("slot"), ui.get("type"))
        spec = host.command(command_id)
        if spec is None:
            actions.append(_unknown_command_action(action_id, label, command_id, surface))
        else:
            actions.append(command_action(spec, action_id=action_id, label=label, surface=surface))
    return ActionGraph(module_id=entry["moduleId"], actions=tuple(actions))


def _enabled_modules(state: JsonObject) -> list[JsonObject]:
    from modgate.modules.registry import sorted_modules

    return [e for e in sorted_modules(state) if e.get("enabled", True) and e["moduleId"] != HOST_MODULE_ID]


GraphSource = Callable[[JsonObject], "list[ActionGraph]"]


def build_graphs(host: Host, state: JsonObject, sources: Sequence[GraphSource] = ()) -> list[ActionGraph]:
    """The host's graph, every enabled heavy module's, and those of ``sources`` (the composition
    root adds extension mods'), sorted by moduleId."""
    graphs = [host_graph(host), *(module_graph(host, e) for e in _enabled_modules(state))]
    for source in sources:
        graphs.extend(source(state))
    return sorted(graphs, key=lambda g: g.module_id)


def find_graph(graphs: Iterable[ActionGraph], module_id: str) -> ActionGraph:
    graphs = list(graphs)
    for graph in graphs:
        if graph.module_id == module_id:
            return graph
    known = ", ".join(g.module_id for g in graphs)
    raise ModgateError(Problem(code="graph-unknown-module", path="MODULE_ID",
                               message=f"no enabled module {module_id!r}; known: {known}"))


def dry_runs(host: Host, state: JsonObject) -> list[DryRun]:
    """What :func:`verify` runs: each host command with its payloadExample, each module action
    with its binding's payload."""
    runs = [DryRun(module_id=HOST_MODULE_ID, action_id=s.id, command_id=s.id, payload=s.payload_example)
            for s in host.sorted_commands()]
    for entry in _enabled_modules(state):
        for action_id, _label, command_id, payload, _ui in _module_steps(entry["package"]):
            runs.append(DryRun(module_id=entry["moduleId"], action_id=action_id, command_id=command_id,
                               payload=payload))
    return runs


def reserved_module_problems(state: JsonObject) -> list[JsonObject]:
    from modgate.modules.registry import modules

    if HOST_MODULE_ID not in modules(state):
        return []
    return [{"code": "graph-reserved-module-id", "path": f"modules[{HOST_MODULE_ID}]", "moduleId": HOST_MODULE_ID,
             "message": "an imported module uses the reserved moduleId 'host'; it is left out of the graph"}]


# --- reading --------------------------------------------------------------------------------------


def _bad(path: str, message: str) -> ModgateError:
    return ModgateError(Problem(code="graph-invalid", path=path, message=message))


def _strings(value: Any, path: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _bad(path, "must be an array of non-empty strings")
    return tuple(value)


def _approval(value: Any, path: str) -> bool | JsonObject:
    if isinstance(value, bool):
        return value
    if not isinstance(value, dict):
        raise _bad(path, "must be a boolean or {reason, level, approver?}")
    if not isinstance(value.get("reason"), str) or not value["reason"]:
        raise _bad(f"{path}.reason", "must be a non-empty string")
    if value.get("level") not in APPROVAL_LEVELS:
        raise _bad(f"{path}.level", "must be soft or hard")
    out: JsonObject = {"reason": value["reason"], "level": value["level"]}
    if "approver" in value:
        if not isinstance(value["approver"], str):
            raise _bad(f"{path}.approver", "must be a string")
        out["approver"] = value["approver"]
    return out


def _surface(value: Any, path: str) -> tuple[str, ...]:
    items = _strings(value, path)
    for i, item in enumerate(items):
        if item not in SURFACES:
            raise _bad(f"{path}[{i}]", f"unknown surface {item!r}; one of {', '.join(SURFACES)}")
    return items


def _read_action(value: Any, path: str) -> Action:
    if not isinstance(value, dict):
        raise _bad(path, "an action must be an object")
    for key in ("id", "label"):
        if not isinstance(value.get(key), str) or not value[key]:
            raise _bad(f"{path}.{key}", "must be a non-empty string")
    undo = value.get("undoCommand")
    if undo is not None and (not isinstance(undo, str) or not undo):
        raise _bad(f"{path}.undoCommand", "must be a command id or null")
    return Action(
        id=value["id"],
        label=value["label"],
        calls=_strings(value.get("calls"), f"{path}.calls"),
        mutates=_strings(value.get("mutates"), f"{path}.mutates"),
        requires_approval=_approval(value.get("requiresApproval", False), f"{path}.requiresApproval"),
        undo_command=undo,
        surface=_surface(value.get("surface", ["commandPalette"]), f"{path}.surface"),
    )


def _read_v1(obj: JsonObject, version: str) -> ActionGraph:
    if not isinstance(obj.get("moduleId"), str) or not obj["moduleId"]:
        raise _bad("moduleId", "must be a non-empty string")
    actions = obj.get("actions")
    if not isinstance(actions, list):
        raise _bad("actions", "must be an array")
    parsed = tuple(_read_action(a, f"actions[{i}]") for i, a in enumerate(actions))
    seen: set[str] = set()
    for i, action in enumerate(parsed):
        if action.id in seen:
            raise _bad(f"actions[{i}].id", f"duplicate action id {action.id!r}")
        seen.add(action.id)
    return ActionGraph(module_id=obj["moduleId"], actions=parsed, action_graph_version=version)


def read_graph(obj: Any) -> ActionGraph:
    """Parse one module's graph: seed defaults for missing optional fields, unknown fields ignored,
    ``actionGraphVersion`` picks the parser (any ``1.x``; another major is refused)."""
    if not isinstance(obj, dict):
        raise _bad("", "an action graph must be a JSON object")
    version = obj.get("actionGraphVersion")
    match = _VERSION.fullmatch(version) if isinstance(version, str) else None
    if match is None or not isinstance(version, str):
        raise _bad("actionGraphVersion", "must be a \"MAJOR.MINOR\" string such as \"1.0\"")
    if match.group(1) != "1":
        raise ModgateError(Problem(code="graph-version-unsupported", path="actionGraphVersion",
                                   message=f"actionGraphVersion {version} is not supported; this reader knows 1.x"))
    return _read_v1(obj, version)


# --- verification ---------------------------------------------------------------------------------


def observed_writes(before: Any, after: Any, path: str = "") -> list[str]:
    """JSON pointers where ``after`` differs from ``before`` (most specific object keys; a list
    that changed length is reported as a whole)."""
    if before is after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[str] = []
        for key in sorted(before.keys() | after.keys()):
            sub = f"{path}/{escape_token(key)}"
            if key not in before or key not in after:
                out.append(sub)
            else:
                out.extend(observed_writes(before[key], after[key], sub))
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [p for i, (b, a) in enumerate(zip(before, after, strict=True))
                for p in observed_writes(b, a, f"{path}/{i}")]
    # Type-strict, as StateView.ops: 1 -> 1.0 or 1 -> true is a write.
    return [] if type(before) is type(after) and before == after else [path]


def _copy(state: JsonObject) -> JsonObject:
    copied: JsonObject = orjson.loads(orjson.dumps(state))
    return copied


def _entry(run: DryRun) -> JsonObject:
    return {"moduleId": run.module_id, "actionId": run.action_id, "commandId": run.command_id}


def _action_path(run: DryRun) -> str:
    return f"modules[{run.module_id}].actions[{run.action_id}]"


def _check_one(host: Host, dry_run: DryRunFn, state: JsonObject, run: DryRun, action: Action
               ) -> tuple[str, JsonObject]:
    """("verified" | "unverified" | "problem", detail)."""
    spec = host.command(run.command_id)
    if spec is None:
        return "problem", {**_entry(run), "code": "graph-unknown-command", "path": f"{_action_path(run)}.calls[0]",
                           "message": f"action calls {run.command_id!r}, which the host does not offer"}
    if spec.external_effects:
        return "unverified", {**_entry(run), "code": "graph-external-effects",
                              "message": "the command has external effects and is never dry-run"}
    envelope, after = dry_run(run.command_id, _copy({"p": run.payload})["p"], _copy(state))
    if envelope.get("code") == "undeclared-write":
        observed = [envelope.get("path", "")]
    elif not envelope.get("ok"):
        return "unverified", {**_entry(run), "code": envelope.get("code"), "message": envelope.get("message")}
    else:
        observed = observed_writes(state, after)
    undeclared = [p for p in observed if not path_within(p, action.mutates)]
    if undeclared:
        return "problem", {**_entry(run), "code": "graph-undeclared-mutation", "path": f"{_action_path(run)}.mutates",
                           "message": f"dry-run wrote {undeclared[0]}, outside the action's mutates",
                           "observed": observed, "undeclared": undeclared}
    return "verified", {**_entry(run), "observed": observed}


def verify(host: Host, state: JsonObject, graphs: Iterable[ActionGraph], *, dry_run: DryRunFn,
           unverified: Sequence[Unverified] = (), module_id: str | None = None) -> JsonObject:
    """Dry-run every action (``dry_run``: a host dispatch on a copy of ``state``, e.g.
    :func:`modgate.bus.dry_runner`) and compare observed writes with the graph's ``mutates``.
    ``unverified`` lists actions that are never run (extension handlers). ``ok`` is False when
    any problem is found. Pure: the dry-run function is the only effect, and it is injected."""
    by_module = {g.module_id: g for g in graphs}
    base = _copy(state)
    report: JsonObject = {"verified": [], "unverified": [], "problems": []}
    if module_id is None:
        report["problems"].extend(reserved_module_problems(state))
    for run in dry_runs(host, state):
        if module_id is not None and run.module_id != module_id:
            continue
        graph = by_module.get(run.module_id)
        action = graph.action(run.action_id) if graph else None
        if action is None:
            report["problems"].append({**_entry(run), "code": "graph-missing-action", "path": _action_path(run),
                                       "message": "the module offers this action but the graph does not list it"})
            continue
        kind, detail = _check_one(host, dry_run, base, run, action)
        report[{"verified": "verified", "unverified": "unverified", "problem": "problems"}[kind]].append(detail)
    for source in unverified:
        report["unverified"].extend(source(state, module_id))
    report["ok"] = not report["problems"]
    report["counts"] = {k: len(report[k]) for k in ("verified", "unverified", "problems")}
    return report


# --- renderers ------------------------------------------------------------------------------------


class _Ids:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.ids: dict[str, str] = {}

    def __call__(self, key: str) -> str:
        if key not in self.ids:
            self.ids[key] = f"{self.prefix}{len(self.ids)}"
        return self.ids[key]


def _edges(graphs: Iterable[ActionGraph]) -> Iterator[tuple[str, str, str, str, str]]:
    """(kind, from_key, from_label, to_key, to_label) for module→action, action→command, command→path."""
    for graph in graphs:
        module_key = f"m:{graph.module_id}"
        for action in graph.actions:
            action_key = f"a:{graph.module_id}:{action.id}"
            gate = " (approval)" if action.requires_approval else ""
            yield "has", module_key, graph.module_id, action_key, f"{action.label}{gate}"
            for command_id in action.calls:
                yield "calls", action_key, action.label, f"c:{command_id}", command_id
                for path in action.mutates:
                    yield "mutates", f"c:{command_id}", command_id, f"s:{path}", path
            if not action.calls:  # an extension handler: it mutates directly, not through a command
                for path in action.mutates:
                    yield "mutates", action_key, action.label, f"s:{path}", path


def _mermaid_label(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def to_mermaid(graphs: Iterable[ActionGraph]) -> str:
    ids = _Ids("n")
    shapes = {"m": ("[", "]"), "a": ("(", ")"), "c": ("[[", "]]"), "s": ("[(", ")]")}
    lines, declared, edges = ["flowchart LR"], set(), set()
    for kind, src, src_label, dst, dst_label in _edges(graphs):
        for key, label in ((src, src_label), (dst, dst_label)):
            if key not in declared:
                declared.add(key)
                left, right = shapes[key[0]]
                lines.append(f"  {ids(key)}{left}{_mermaid_label(label)}{right}")
        if (src, dst) not in edges:
            edges.add((src, dst))
            lines.append(f"  {ids(src)} -->|{kind}| {ids(dst)}")
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(graphs: Iterable[ActionGraph]) -> str:
    shapes = {"m": "folder", "a": "box", "c": "component", "s": "cylinder"}
    lines, declared, edges = ["digraph actiongraph {", "  rankdir=LR;"], set(), set()
    for kind, src, src_label, dst, dst_label in _edges(graphs):
        for key, label in ((src, src_label), (dst, dst_label)):
            if key not in declared:
                declared.add(key)
                lines.append(f"  {_dot_quote(key)} [label={_dot_quote(label)}, shape={shapes[key[0]]}];")
        if (src, dst) not in edges:
            edges.add((src, dst))
            lines.append(f"  {_dot_quote(src)} -> {_dot_quote(dst)} [label={_dot_quote(kind)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def graphs_document(graphs: Iterable[ActionGraph]) -> JsonObject:
    return {"actionGraphVersion": ACTION_GRAPH_VERSION, "modules": [g.to_dict() for g in graphs]}
