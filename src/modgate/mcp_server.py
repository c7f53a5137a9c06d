"""``modgate mcp``: host commands and module actions as MCP tools, the action graph as resources.

Two layers:

* :class:`Gateway` — plain Python, no ``mcp`` import: derives the tool list from the action
  graph of the *current* state, resolves a tool call to a bus dispatch in the ``agent`` role
  and turns the envelope into a result the model can read. Every call reads fresh state (the
  store reloads when another process changed the revision, e.g. a human approving).
* :func:`build_server` / :func:`serve_stdio` — the official ``mcp`` SDK (v2): the low-level
  ``mcp.server.lowlevel.Server`` with ``on_list_tools`` / ``on_call_tool`` / resource handlers.
  The low-level server is used rather than ``MCPServer.add_tool`` because tools carry explicit
  JSON Schemas (the command's payload schema) and the tool set follows the state at request time.
  ``mcp`` costs ~1 s to import, so it is imported only here, inside these functions.

Tool names: a host command is named by its command id (``setTool``); a module action is
``<moduleId>.<actionId>`` — the SDK (SEP-986) allows ``A-Z a-z 0-9 _ - .``, 1..128 characters.
An action id with other characters (or a name over 128 characters) gets those characters
replaced by ``_`` and a ``-<8 hex>`` suffix from the sha256 of the original id, so the name stays
valid and stable; :func:`assign_names` makes the set unique (a sanitised name that equals another
action's literal id gets a longer suffix, the same whatever the order).
``_meta["modgate/action"]`` always carries the exact moduleId/actionId.

Light track: the tool ``light_propose`` (when the host declares a light vocabulary) takes a structured
``light.intent.v1`` (or plain ``text``) and runs the light pipeline as ``light_user`` with
``submittedBy: agent`` recorded; at best it leaves a previewed transaction that a person approves.

Approval: an approval-gated command called by the agent executes nothing; the result says the
call is pending with its approval id and the exact human command ``modgate approvals approve
<id>``. No tool approves.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from modgate import graph as core
from modgate.app import build_graphs_of
from modgate.errors import ModgateError
from modgate.host.model import CommandSpec
from modgate.modules.actions import run_module_action
from modgate.state import JsonObject

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server

    from modgate.app import Runtime

SERVER_NAME = "modgate"
GRAPH_URI = "modgate://graph"
GRAPH_URI_PREFIX = "modgate://graph/"
APPROVAL_URI_PREFIX = "modgate://approvals/"
NO_ARGUMENTS: JsonObject = {"type": "object", "properties": {}, "additionalProperties": False}
LIGHT_TOOL = "light_propose"
LIGHT_SCHEMA: JsonObject = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "intent": {"type": "object", "description": "A light.intent.v1 object (actor role light_user, mode light);"
                   " successCriteria.metrics say what to change (see modgate's schemas/light.intent.v1)."},
        "text": {"type": "string", "maxLength": 2000, "description": "Or the request in plain words."},
    },
}
TOOL_NAME = re.compile(r"[A-Za-z0-9._-]{1,128}")
INSTRUCTIONS = (
    "modgate exposes the host application's commands (tool name = command id) and the actions of "
    "every enabled module (tool name = <moduleId>.<actionId>). Read modgate://graph for what each "
    "action calls and mutates, whether it needs approval and how to undo it. Commands that change "
    "the shared document need a human's approval: calling them executes nothing and returns a "
    "pending approval id; a human runs `modgate approvals approve <id>`. You cannot approve."
)


def tool_name(module_id: str, action_id: str) -> str:
    """The MCP tool name of an action (see the module docstring)."""
    name = action_id if module_id == core.HOST_MODULE_ID else f"{module_id}.{action_id}"
    if TOOL_NAME.fullmatch(name):
        return name
    suffix = "-" + hashlib.sha256(action_id.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    prefix = "" if module_id == core.HOST_MODULE_ID else f"{module_id}."
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", action_id)[: 128 - len(prefix) - len(suffix)]
    return f"{prefix}{safe}{suffix}"


def assign_names(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Unique tool names for (moduleId, actionId) pairs, the same whatever the order.

    A sanitised name (``say hi`` -> ``say_hi-53eae705``) can equal an action's literal valid id.
    Literal names win (they are what the module author wrote); a sanitised name that clashes
    gets a longer suffix from the sha256 of ``moduleId\0actionId`` until it is unique. The
    ``<moduleId>.`` prefix of module tools is kept.
    """
    names: dict[tuple[str, str], str] = {}
    taken: set[str] = set()
    ordered = sorted(pairs, key=lambda p: (tool_name(*p) != _literal(*p), p))  # literal names first
    for module_id, action_id in ordered:
        name = tool_name(module_id, action_id)
        digest = hashlib.sha256(f"{module_id}\0{action_id}".encode("utf-8", "surrogatepass")).hexdigest()
        width = 8
        while name in taken and width <= len(digest):
            prefix = "" if module_id == core.HOST_MODULE_ID else f"{module_id}."
            suffix = f"-{digest[:width]}"
            safe = re.sub(r"[^A-Za-z0-9_-]", "_", action_id)[: max(0, 128 - len(prefix) - len(suffix))]
            name, width = f"{prefix}{safe}{suffix}"[:128], width + 8
        taken.add(name)
        names[(module_id, action_id)] = name
    return names


def _literal(module_id: str, action_id: str) -> str:
    return action_id if module_id == core.HOST_MODULE_ID else f"{module_id}.{action_id}"


def annotations_for(action: core.Action, spec: CommandSpec | None) -> JsonObject:
    """MCP tool annotations computed from the graph (and the command's flags), never claimed."""
    return {
        "title": action.label,
        "readOnlyHint": not action.mutates,
        "destructiveHint": bool(action.requires_approval) or action.undo_command is None,
        "idempotentHint": bool(spec.idempotent) if spec else False,
        "openWorldHint": bool(spec.external_effects) if spec else True,
    }


def approve_command(approval_id: str) -> str:
    return f"modgate approvals approve {approval_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolInfo:
    name: str
    description: str
    input_schema: JsonObject
    annotations: JsonObject
    meta: JsonObject
    run: core.DryRun | None  # the command and, for module actions, the binding's payload; None: light_propose


def _describe(action: core.Action, spec: CommandSpec | None, module_id: str, payload: Any) -> str:
    gate = " Needs a human's approval: calling it only queues it and returns an approval id." \
        if action.requires_approval else ""
    if module_id != core.HOST_MODULE_ID:
        # Short on purpose: 1,000 module tools must list fast; the command's own tool and
        # modgate://graph/<moduleId> carry the details.
        return (f"{action.label} (module {module_id}): runs {', '.join(action.calls)} with payload "
                f"{orjson.dumps(payload).decode()}; takes no arguments. Same effects as the "
                f"{action.calls[0]} tool.{gate}")
    text = spec.description if spec else ""
    return (f"{text} Mutates: {', '.join(action.mutates) or 'nothing'}. "
            f"Undo: {action.undo_command or 'none'}.{gate}")


def _result(body: JsonObject, is_error: bool) -> JsonObject:
    return {"isError": is_error, "body": body}


def _error(code: str, message: str, path: str = "", **extra: Any) -> JsonObject:
    return _result({"ok": False, "code": code, "path": path, "message": message, **extra}, True)


class Gateway:
    """Tools, calls and resources over one runtime; state is re-read on every request."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._tools: tuple[int, list[ToolInfo], dict[str, ToolInfo]] | None = None

    # -- graph ------------------------------------------------------------------------------------
    def graphs(self) -> list[core.ActionGraph]:
        return self.rt.graphs()

    def tools(self) -> tuple[list[ToolInfo], dict[str, ToolInfo]]:
        revision, state = self.rt.store.load()
        if self._tools is None or self._tools[0] != revision:
            infos = self._derive(state)
            self._tools = (revision, infos, {t.name: t for t in infos})
        return self._tools[1], self._tools[2]

    def _derive(self, state: JsonObject) -> list[ToolInfo]:
        host = self.rt.host
        graphs = {g.module_id: g for g in build_graphs_of(host, state)}
        out: list[ToolInfo] = []
        runs = core.dry_runs(host, state)
        names = assign_names([(run.module_id, run.action_id) for run in runs])
        for run in runs:
            action = graphs[run.module_id].action(run.action_id)
            if action is None:
                continue
            spec = host.command(run.command_id)
            is_host = run.module_id == core.HOST_MODULE_ID
            schema = spec.payload_schema if is_host and spec else NO_ARGUMENTS
            meta = {"modgate/action": {"moduleId": run.module_id, "actionId": run.action_id,
                                       "calls": list(action.calls)}}
            out.append(ToolInfo(name=names[(run.module_id, run.action_id)],
                                description=_describe(action, spec, run.module_id, run.payload),
                                input_schema=schema, annotations=annotations_for(action, spec), meta=meta, run=run))
        if host.light is not None:
            out.append(_light_tool())
        return out

    # -- calls ------------------------------------------------------------------------------------
    def call(self, name: str, arguments: JsonObject | None) -> JsonObject:
        """``{"isError": bool, "body": {...}}`` for a tools/call."""
        try:  # arguments from another transport: the same strictness as the stdio screen
            orjson.dumps(arguments)
        except (TypeError, orjson.JSONEncodeError) as exc:
            return _error("mcp-invalid-arguments", f"the arguments are not JSON: {exc}", "arguments")
        info = self.tools()[1].get(name)
        if info is None:
            return _error("mcp-unknown-tool", f"no tool named {name!r} (list the tools again: modules may have "
                          "changed)", "name")
        run = info.run
        if run is None:
            return self._light(arguments or {})
        if run.module_id == core.HOST_MODULE_ID:
            payload: Any = dict(arguments or {})
        elif arguments:
            return _error("mcp-invalid-arguments", f"{name} takes no arguments: its binding supplies the payload",
                          "arguments", arguments=sorted(arguments))
        else:
            payload = run.payload
        meta = {"via": "mcp", "tool": name}
        if run.module_id == core.HOST_MODULE_ID:
            return self._answer(self.rt.bus.dispatch(run.command_id, payload, role="agent", meta=meta))
        try:  # a module's action: the same use case as the CLI's click, capability check included
            outcome = run_module_action(self.rt, module_id=run.module_id, command_id=run.command_id,
                                        payload=payload, role="agent", title=name, meta=meta)
        except ModgateError as exc:
            return _error(exc.code, exc.message, exc.problem.path or "", commandId=run.command_id)
        return self._answer(outcome.envelope or {})

    def _light(self, arguments: JsonObject) -> JsonObject:
        from modgate.light.service import LightService

        intent, text = arguments.get("intent"), arguments.get("text")
        if (intent is None) == (text is None) or (text is not None and not isinstance(text, str)) or \
                (intent is not None and not isinstance(intent, dict)):
            return _error("mcp-invalid-arguments", "light_propose takes exactly one of intent (an object) or text"
                          " (a string)", "arguments")
        service = LightService(self.rt)
        out = service.propose_intent(intent) if intent is not None else service.propose(
            str(text), submitted_by="agent")
        if out["code"] == "approval-pending":
            command = approve_command(out["txId"])
            out = {**out, "status": "pending", "approveCommand": command,
                   "message": f"Nothing changed yet: the change is previewed as {out['txId']} and waits for a"
                              f" person, who approves it with `{command}`. You cannot approve it yourself."}
        return _result(out, out["code"] not in ("approval-pending", "no-change"))

    def _answer(self, envelope: JsonObject) -> JsonObject:
        if envelope.get("ok"):
            return _result({"ok": True, "code": "executed", "commandId": envelope["commandId"],
                            "revision": envelope.get("revision"), "result": envelope.get("result")}, False)
        if envelope.get("code") == "approval-required":
            approval_id = envelope["approvalId"]
            command = approve_command(approval_id)
            return _result({
                "ok": False, "code": "approval-required", "status": "pending", "approvalId": approval_id,
                "commandId": envelope["commandId"], "approveCommand": command,
                "message": f"{envelope['commandId']} was not executed: it needs a human's approval. It is queued as "
                           f"{approval_id}; a human approves it with `{command}`. You cannot approve it yourself; "
                           f"read {APPROVAL_URI_PREFIX}{approval_id} to see whether it ran.",
            }, False)
        return _error(str(envelope.get("code")), str(envelope.get("message") or envelope.get("error") or ""),
                      str(envelope.get("path") or ""), commandId=envelope.get("commandId"))

    # -- resources --------------------------------------------------------------------------------
    def resource_uris(self) -> list[tuple[str, str, str]]:
        """(uri, name, description) for the whole graph and each module's graph."""
        out = [(GRAPH_URI, "action-graph", "The action graph v1.0 of the host and every enabled module.")]
        for g in self.graphs():
            out.append((GRAPH_URI_PREFIX + g.module_id, f"action-graph-{g.module_id}",
                        f"The action graph v1.0 of module {g.module_id} ({len(g.actions)} actions)."))
        return out

    def read(self, uri: str) -> str | None:
        """JSON text of a resource, or None when there is no such resource."""
        if uri == GRAPH_URI:
            return _dumps(core.graphs_document(self.graphs()))
        if uri.startswith(GRAPH_URI_PREFIX):
            module_id = uri[len(GRAPH_URI_PREFIX):]
            found = next((g for g in self.graphs() if g.module_id == module_id), None)
            return _dumps(found.to_dict()) if found else None
        if uri.startswith(APPROVAL_URI_PREFIX):
            item = self.rt.approvals.item(uri[len(APPROVAL_URI_PREFIX):])
            if item is None or item.get("role") != "agent":
                return None  # the agent reads its own items only, never the host's or a student's
            keys = ("id", "status", "commandId", "role", "payload", "createdAt", "decidedAt", "decidedBy", "output")
            return _dumps({k: item.get(k) for k in keys})
        return None


def _light_tool() -> ToolInfo:
    return ToolInfo(
        name=LIGHT_TOOL, input_schema=LIGHT_SCHEMA, run=None,
        description="Propose a light-user change (preferences, per-device layout, shortcut buttons) as a"
                    " light.intent.v1 or plain text. It runs every gate of the light track as light_user (recorded"
                    " as submitted by an agent) and at most leaves a previewed change that a person approves.",
        annotations={"title": "Propose a light change", "readOnlyHint": False, "destructiveHint": False,
                     "idempotentHint": False, "openWorldHint": False},
        meta={"modgate/light": {"schema": "light.intent.v1", "role": "light_user"}})


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


# --- the SDK layer -----------------------------------------------------------------------------------


def build_server(gateway: Gateway) -> Server[Any]:
    """A low-level MCP server answering from ``gateway``."""
    import mcp_types as types
    from mcp.server.lowlevel import Server
    from mcp.shared.exceptions import MCPError

    from modgate import __version__

    listed: list[Any] = [None, None]  # (the gateway's tool list it was built from, the result)

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        infos = gateway.tools()[0]  # a new list whenever the state revision changed
        if listed[0] is not infos:
            listed[:] = [infos, types.ListToolsResult(tools=[
                types.Tool(name=t.name, title=t.annotations["title"], description=t.description,
                           input_schema=t.input_schema,
                           annotations=types.ToolAnnotations.model_validate(t.annotations), _meta=t.meta)
                for t in infos])]
        result: types.ListToolsResult = listed[1]
        return result

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        answer = gateway.call(params.name, params.arguments)
        body = answer["body"]
        return types.CallToolResult(content=[types.TextContent(type="text", text=_dumps(body))],
                                    structured_content=body, is_error=answer["isError"])

    async def list_resources(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=[
            types.Resource(uri=uri, name=name, description=text, mime_type="application/json")
            for uri, name, text in gateway.resource_uris()])

    async def list_templates(ctx: Any, params: types.PaginatedRequestParams | None
                             ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=[
            types.ResourceTemplate(uri_template=GRAPH_URI_PREFIX + "{moduleId}", name="module-action-graph",
                                   description="One module's action graph v1.0.", mime_type="application/json"),
            types.ResourceTemplate(uri_template=APPROVAL_URI_PREFIX + "{approvalId}", name="approval",
                                   description="A queued approval item: pending, approved (with its result), "
                                               "rejected or failed.", mime_type="application/json"),
        ])

    async def read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        text = gateway.read(str(params.uri))
        if text is None:
            raise MCPError(code=types.INVALID_PARAMS, message=f"mcp-unknown-resource: no resource {params.uri}",
                           data={"code": "mcp-unknown-resource", "uri": str(params.uri)})
        return types.ReadResourceResult(contents=[
            types.TextResourceContents(uri=params.uri, text=text, mime_type="application/json")])

    return Server(SERVER_NAME, version=__version__, instructions=INSTRUCTIONS,
                  get_tool_input_schema=lambda name: (t.input_schema if (t := gateway.tools()[1].get(name)) else None),
                  on_list_tools=list_tools, on_call_tool=call_tool, on_list_resources=list_resources,
                  on_list_resource_templates=list_templates, on_read_resource=read_resource)


def screen(line: str) -> JsonObject | None:
    """The coded JSON-RPC error for an incoming line modgate would not read, else None.

    The SDK's parser keeps the last of duplicate keys, lets lone surrogate escapes through (they
    fail later, leaving the request unanswered) and recurses on deep nesting. Each line is read
    first with modgate's strict loader -- the one the CLI uses -- so such a request gets an
    answer with the loader's code, and the server keeps serving.
    """
    from modgate.errors import JsonLoadError
    from modgate.strictjson import loads

    raw = line.encode("utf-8", "surrogatepass")
    try:
        loads(raw)
        return None
    except JsonLoadError as exc:
        problem = exc.problem
    request_id = _request_id(line)
    if not isinstance(request_id, (int, str)) or isinstance(request_id, bool):
        request_id = None
    return {"jsonrpc": "2.0", "id": request_id, "error": {
        "code": -32700 if request_id is None else -32602, "message": f"{problem.code}: {problem.message}",
        "data": {"code": problem.code, "path": problem.path}}}


def _request_id(line: str) -> Any:
    """The id of a refused line, read leniently (the stdlib parser takes lone surrogates)."""
    import json

    try:
        return json.loads(line).get("id")
    except (ValueError, AttributeError, RecursionError):
        return None  # no readable id: answered as a parse error with id null


class _ScreenedLines:
    """stdin lines for the SDK's reader, with refused lines answered instead of passed on."""

    def __init__(self, source: Any) -> None:
        import anyio

        self.source = source
        self.out: Any = None
        self.ready = anyio.Event()

    def __aiter__(self) -> Any:
        return self._lines()

    async def _lines(self) -> Any:
        import mcp_types as types
        from mcp.shared.message import SessionMessage

        async for line in self.source:
            error = screen(line)
            if error is None:
                yield line
                continue
            await self.ready.wait()
            await self.out.send(SessionMessage(types.JSONRPCError.model_validate(error)))


def serve_stdio(rt: Runtime) -> None:
    """Serve over this process's stdin/stdout until the client closes the stream."""
    import sys
    from io import TextIOWrapper

    import anyio
    from mcp.server.stdio import stdio_server

    server = build_server(Gateway(rt))
    lines = _ScreenedLines(anyio.wrap_file(TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")))

    async def main() -> None:
        async with stdio_server(stdin=lines) as (read_stream, write_stream):  # type: ignore[arg-type]
            lines.out = write_stream
            lines.ready.set()
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(main)
