"""The host-agnostic model: a Host and the commands it offers.

A host application embedding modgate describes itself with a :class:`Host`: app id and
version, platform ids, UI slots, event names, the command catalog and the state domains.
Commands are :class:`CommandSpec` values: metadata (as in ``board-commands.json``) plus a pure
handler ``(view, payload) -> result`` that stages writes on a :class:`~modgate.state.StateView`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from modgate.state import JsonObject, StateView

if TYPE_CHECKING:
    from modgate.light.vocab import LightVocabulary

MutationScope = Literal["doc", "sync", "local"]
Handler = Callable[[StateView, JsonObject], Any]
Normalizer = Callable[[Any], Any]
Checker = Callable[[JsonObject, StateView | None], None]


@dataclass(frozen=True, slots=True)
class KeyNormalizer:
    """A normalizer declared as data: ``fields[key](value)`` for each present key of an object
    payload (``None`` becomes ``{}`` when ``null_as_empty``). The bus reads ``fields`` to
    normalise a one-field payload without copying it."""

    fields: Mapping[str, Normalizer]
    null_as_empty: bool = False

    def __call__(self, payload: Any) -> Any:
        if payload is None and self.null_as_empty:
            return {}
        if not isinstance(payload, dict):
            return payload
        fields = self.fields
        return {k: fields[k](v) if k in fields else v for k, v in payload.items()}


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldSetter:
    """A handler declared as data: store ``convert(payload[key])`` at ``path``, answer ``{name: value}``.

    Callable like any handler (previews and dry-runs call it so); the bus also reads its fields
    to compile the command into a plan that computes the op and its inverse directly.
    """

    path: str
    key: str
    convert: Callable[[Any], Any] | None = None

    @property
    def name(self) -> str:
        """The result's key: the last token of ``path``."""
        return self.path.rsplit("/", 1)[-1]

    def __call__(self, view: StateView, payload: JsonObject) -> JsonObject:
        value = payload[self.key] if self.convert is None else self.convert(payload[self.key])
        view.set(self.path, value)
        return {self.name: value}


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandSpec:
    """One command a host offers: its metadata (as in ``board-commands.json``) and its handler.

    ``id`` names it on the bus; ``mutation_scope`` is the state domain it writes (``doc``: the
    shared document, undoable; ``sync``: shared settings; ``local``: this device's settings);
    ``requires_approval`` queues it for a host's approval when any other role dispatches it;
    ``audit_tag`` labels its audit events; ``undo_command`` names the command that reverses it;
    ``writes`` are the JSON pointers it may write (a write outside them is refused:
    ``undeclared-write``); ``payload_schema`` is the JSON Schema its payload must
    satisfy and ``payload_example`` one valid payload. ``handler(view, payload)`` stages writes on
    the :class:`~modgate.state.StateView` and returns a JSON result; it must be pure (no I/O) so
    that it can be previewed and dry-run. ``normalize``, ``check``, ``external_effects``,
    ``journal_action`` and ``notes`` are optional (see the comments beside them).
    """

    id: str
    description: str
    mutation_scope: MutationScope
    requires_approval: bool
    audit_tag: str
    undo_command: str | None
    idempotent: bool
    writes: tuple[str, ...]
    payload_schema: JsonObject
    payload_example: Any
    handler: Handler
    # Runs before schema validation: trims ids/enum strings, maps null to {} where allowed.
    normalize: Normalizer | None = None
    # Runs after schema validation: semantic rules a schema cannot express; raises PayloadError.
    check: Checker | None = None
    # Commands with effects outside the state (network, files) cannot be dry-run silently.
    external_effects: bool = False
    # "undo"/"redo": the bus runs these over the journal (reverse / replay the last doc edit)
    # instead of calling ``handler``.
    journal_action: Literal["undo", "redo"] | None = None
    notes: Mapping[str, str] = field(default_factory=dict)

    def metadata(self) -> JsonObject:
        """What ``modgate commands --json`` prints for this command."""
        return {
            "id": self.id,
            "description": self.description,
            "mutationScope": self.mutation_scope,
            "requiresApproval": self.requires_approval,
            "auditTag": self.audit_tag,
            "undoCommand": self.undo_command,
            "idempotent": self.idempotent,
            "writes": list(self.writes),
            "payloadSchema": self.payload_schema,
            "payloadExample": self.payload_example,
            "externalEffects": self.external_effects,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Host:
    """A host application embedding modgate: what it offers to commands, modules and mods.

    ``app_id``/``app_version`` identify the application (a home remembers ``app_id``);
    ``platform_ids`` are the ``compatibility.platforms`` values a mod may name (``*`` for any);
    ``ui_slots`` the slots heavy modules and mods may contribute to; ``event_names`` the events
    the application emits (extension mods' hooks subscribe to them); ``commands`` the command
    catalog by id; ``state_domains`` the top-level state documents (usually ``doc``, ``sync``,
    ``local``) and ``initial_state()`` a fresh document for each of them — a new home starts
    from it. The host *application* is not the ``host`` *role*: that role is the application's
    owner (``owner`` is accepted as an input alias; stored data, audit and JSON say ``host``).
    """

    app_id: str
    app_version: str
    platform_ids: tuple[str, ...]
    ui_slots: tuple[str, ...]
    event_names: tuple[str, ...]
    commands: Mapping[str, CommandSpec]
    state_domains: tuple[str, ...]
    initial_state: Callable[[], JsonObject]
    # What a light user may change on this host (None: the host has no light track).
    light: LightVocabulary | None = None

    def command(self, command_id: str) -> CommandSpec | None:
        """The command called ``command_id``, or None."""
        return self.commands.get(command_id)

    def sorted_commands(self) -> list[CommandSpec]:
        """Every command, sorted by id."""
        return [self.commands[k] for k in sorted(self.commands)]
