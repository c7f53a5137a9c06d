"""The ``codexchat`` host profile: accepts CodexChat extension packages unchanged.

A profile, not an application: it carries what package validation needs from a host — the
platform ids a ``compatibility.platforms`` list must name (``macos``, ``darwin`` or ``*``), the
nine CodexChat events and the ``modsBar`` slot — so authors can validate, install and test
CodexChat mods on any OS. It offers no commands and no state.
"""

from __future__ import annotations

from modgate.host.model import Host
from modgate.state import JsonObject

APP_ID = "codexchat"
APP_VERSION = "0.1.0"
PLATFORM_IDS = ("macos", "darwin", "*")
UI_SLOTS = ("modsBar",)
EVENT_NAMES = (
    "thread.started",
    "turn.started",
    "assistant.delta",
    "action.card",
    "approval.requested",
    "modsBar.action",
    "turn.completed",
    "turn.failed",
    "transcript.persisted",
)


def _empty_state() -> JsonObject:
    return {}


def codexchat_host() -> Host:
    """The codexchat profile (cheap to build: no commands, no state)."""
    return Host(
        app_id=APP_ID,
        app_version=APP_VERSION,
        platform_ids=PLATFORM_IDS,
        ui_slots=UI_SLOTS,
        event_names=EVENT_NAMES,
        commands={},
        state_domains=(),
        initial_state=_empty_state,
    )
