"""The studio shell: its session (mode, per-mode drafts, messages), page rendering and form reading.

The session lives in the server process (one local user). It keeps what task 257 says a mode
switch preserves — session identity, target surface, last preview metadata, audit filter,
per-mode drafts — and keeps per mode what must never leak into the other mode: messages and
console lines are stored with their mode and only shown in it. Approval tokens and idempotency
keys are never kept: every apply takes the newest approval and a fresh key.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from modgate.errors import ModgateError
from modgate.studio import strings
from modgate.studio.security import Secrets, same
from modgate.studio.service import Studio, fail

FORM_LIMIT = 2 * 1024 * 1024


@dataclass(slots=True)
class Draft:
    """One mode's work in progress (mutable: the session edits it in place)."""

    text: str = ""
    tx_id: str | None = None
    console: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Session:
    session_id: str = field(default_factory=lambda: f"studio-{secrets.token_hex(6)}")
    mode: str = "light"
    target_surface: str = "board"
    drafts: dict[str, Draft] = field(default_factory=lambda: {"light": Draft(), "heavy": Draft()})
    messages: list[tuple[str, str, str]] = field(default_factory=list)  # (mode, kind, text)
    last_preview: dict[str, Any] | None = None
    audit_filter: str = "all"
    last_code: str | None = None  # the newest refusal's code (shown in heavy mode only)

    def say(self, text: str, kind: str = "info", mode: str | None = None) -> None:
        self.messages.append((mode or self.mode, kind, text))

    def take_messages(self) -> list[tuple[str, str]]:
        mine = [(kind, text) for mode, kind, text in self.messages if mode == self.mode]
        self.messages = [msg for msg in self.messages if msg[0] != self.mode]
        return mine

    @property
    def draft(self) -> Draft:
        return self.drafts[self.mode]


class Shell:
    def __init__(self, studio: Studio, keys: Secrets) -> None:
        self.studio = studio
        self.keys = keys
        self.session = Session()
        self.closing = False  # set at shutdown: open event streams end
        self.env = Environment(loader=PackageLoader("modgate.studio", "templates"),
                               autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True,
                               auto_reload=False)  # package data does not change under a running server
        self.env.globals.update(t=strings.t)
        self.env.filters["short"] = lambda h: (h or "")[7:19] if (h or "").startswith("sha256:") else (h or "")[:12]
        self.env.filters["when"] = _when
        self.env.filters["txno"] = lambda tx_id: str(tx_id).removeprefix("tx-")

    # -- rendering --------------------------------------------------------------------------------
    def context(self, **extra: Any) -> dict[str, Any]:
        surface = self.studio.surface(self.session.audit_filter)
        return {"mode": self.session.mode, "csrf": self.keys.csrf, "surface": surface,
                "plain": self.session.mode == "light", "session": self.session,
                "messages": self.session.take_messages(), **extra}

    def page(self, template: str, status: int = 200, **extra: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(self.context(**extra))
        return HTMLResponse(html, status_code=status)

    def fragment(self, template: str) -> HTMLResponse:
        surface = self.studio.surface(self.session.audit_filter)
        html = self.env.get_template(template).render(
            mode=self.session.mode, csrf=self.keys.csrf, surface=surface, plain=self.session.mode == "light",
            session=self.session)
        return HTMLResponse(html)

    # -- requests ---------------------------------------------------------------------------------
    async def form(self, request: Request) -> FormData:
        """The POSTed form, after the CSRF check (the Origin was checked by the guard)."""
        size = request.headers.get("content-length")
        if size is None or not size.isdigit() or int(size) > FORM_LIMIT:
            raise fail("studio-input-too-large", f"a form may hold at most {FORM_LIMIT} bytes", "body")
        form = await request.form(max_files=0, max_fields=64)
        token = form.get("csrf")
        if not same(token if isinstance(token, str) else None, self.keys.csrf):
            raise fail("studio-csrf-invalid", "the form's CSRF token is missing or wrong; reload the page", "csrf")
        return form

    def refuse(self, exc: ModgateError, back: str) -> Response:
        """Show a refusal in the current mode's words, then go back to the page."""
        self.session.last_code = exc.code
        if self.session.mode == "light":
            self.session.say(strings.plain_error(exc.code, exc.message), "error")
        else:
            where = f" (at {exc.problem.path})" if exc.problem.path else ""
            self.session.say(f"{exc.code}: {exc.message}{where}", "error")
            self.session.drafts["heavy"].console.append({"code": exc.code, "path": exc.problem.path,
                                                         "message": exc.message})
        return RedirectResponse(back, status_code=303)


def mode_guarded(shell: Shell, mode: str, render: Callable[[Request], Response]) -> Callable[[Request], Any]:
    """An endpoint serving ``render`` (in a worker thread) only in ``mode``; in the other mode it
    sends the user to confirm switching."""
    async def endpoint(request: Request) -> Response:
        if shell.session.mode != mode:
            return RedirectResponse(f"/mode/confirm?target={mode}", 303)
        return await run_in_threadpool(render, request)
    return endpoint


def _when(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def text_field(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name, default)
    return value if isinstance(value, str) else default


def back_to(form: FormData, default: str) -> str:
    """Where to return after a POST: a path of this site only."""
    target = text_field(form, "back", default)
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else default
