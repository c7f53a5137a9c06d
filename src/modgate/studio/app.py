"""The studio's Starlette application: routes of the shell, the surface and the mode switch.

Lane routes live in :mod:`modgate.studio.heavy` and :mod:`modgate.studio.light`. Every POST
goes through :func:`action`: CSRF check, the work in a thread (SQLite is synchronous), a coded
refusal shown as a message, then a redirect back (POST/redirect/GET).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from modgate.errors import ModgateError
from modgate.studio import modes
from modgate.studio.security import Guard, Secrets
from modgate.studio.service import Studio, fail
from modgate.studio.shell import Shell, back_to, text_field
from modgate.studio.strings import plain_error, t
from modgate.tx import machine as m

Work = Callable[[FormData], Response | None]
TX_ID = re.compile(r"tx-[0-9]{1,12}")
POLL_S = 0.4
STREAM_MAX_S = 4 * 3600  # a page open longer reconnects (EventSource does it by itself)


def lane(mode: str) -> str:
    return "/light" if mode == "light" else "/heavy"


def action(shell: Shell, work: Work, *, mode: str | None = None) -> Callable[[Request], Awaitable[Response]]:
    """A POST endpoint: CSRF-checked form → ``work`` in a thread → redirect (refusals as messages)."""
    async def endpoint(request: Request) -> Response:
        try:
            form = await shell.form(request)
        except ModgateError as exc:
            status = 413 if exc.code == "studio-input-too-large" else 403
            return PlainTextResponse(f"{exc.code}: {exc.message}\n", status_code=status)
        back = back_to(form, lane(shell.session.mode))
        try:
            if mode is not None and shell.session.mode != mode:
                raise fail("studio-wrong-mode", f"this belongs to {mode} mode; switch modes first", "mode")
            response = await run_in_threadpool(_serialised, shell, work, form)
            return response or RedirectResponse(back, 303)
        except ModgateError as exc:
            return shell.refuse(exc, back)
    return endpoint


def _serialised(shell: Shell, work: Work, form: FormData) -> Response | None:
    """One change at a time per studio: the session (mode, drafts) is edited by one request only."""
    with shell.studio.lock:
        return work(form)


def threaded(fn: Callable[[Request], Response]) -> Callable[[Request], Any]:
    """An async endpoint running the synchronous ``fn`` (SQLite, templates) in the thread pool."""
    async def endpoint(request: Request) -> Response:
        return await run_in_threadpool(fn, request)
    return endpoint


def redirect(target: Callable[[], str]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        return RedirectResponse(target(), 303)
    return endpoint


def tx_id_of(request: Request) -> str:
    tx_id = str(request.path_params["tx_id"])
    if not TX_ID.fullmatch(tx_id):
        raise fail("tx-not-found", f"no transaction {tx_id[:40]!r}", "txId")
    return tx_id


# -- the shared transaction surface ------------------------------------------------------------------


def tx_routes(shell: Shell) -> list[BaseRoute]:
    studio, session = shell.studio, shell.session

    def decided(verb: str, fn: Callable[[str, FormData], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            try:
                tx_id = tx_id_of(request)
            except ModgateError:
                return PlainTextResponse(t("tx.none"), status_code=404)

            def work(form: FormData) -> None:
                fn(tx_id, form)
                label = t("plain.change", n=tx_id.removeprefix("tx-")) if session.mode == "light" else tx_id
                session.say(t(f"tx.{verb}", id=label), "ok")
            return await action(shell, work)(request)
        return endpoint

    def approve(tx_id: str, form: FormData) -> None:
        approved = studio.approve(tx_id, text_field(form, "previewHash"))
        session.last_preview = {k: approved[k] for k in ("txId", "attemptNo", "previewHash", "baseRevision")}

    def page(request: Request) -> Response:
        try:
            shown = studio.show(tx_id_of(request))
        except ModgateError:
            return shell.page("error.html", status=404, message=t("tx.none"))
        return shell.page("tx.html", tx=shown)

    return [
        Route("/tx/{tx_id}", threaded(page)),
        Route("/tx/{tx_id}/approve", decided("approved", approve), methods=["POST"]),
        Route("/tx/{tx_id}/reject", decided("rejected", lambda i, f: studio.reject(i, t("tx.reason.studio"))),
              methods=["POST"]),
        Route("/tx/{tx_id}/apply", decided("applied", lambda i, f: studio.apply(i)), methods=["POST"]),
        Route("/tx/{tx_id}/rollback", decided("rolledback", lambda i, f: studio.rollback(i, t("tx.reason.studio"))),
              methods=["POST"]),
        Route("/tx/{tx_id}/refresh", decided("refreshed", lambda i, f: studio.refresh(i)), methods=["POST"]),
    ]


def _verify(shell: Shell) -> Work:
    def work(form: FormData) -> None:
        shell.studio.verify()
    return work


def _audit_filter(shell: Shell) -> Work:
    def work(form: FormData) -> None:
        from modgate.studio.service import AUDIT_FILTERS

        chosen = text_field(form, "filter")
        shell.session.audit_filter = chosen if chosen in AUDIT_FILTERS else "all"
    return work


def _recover(shell: Shell) -> Work:
    def work(form: FormData) -> None:
        done = shell.studio.recover()
        blocked = modes.blocking_of(shell.studio.transactions())
        shell.session.say(t("status.recover.none") if blocked and not done else t("status.recovered"), "ok")
    return work


async def events(shell: Shell, request: Request) -> Response:
    """Server-sent events: ``change`` whenever the store revision or the audit head moves."""
    async def stream() -> AsyncIterator[str]:
        last = await run_in_threadpool(shell.studio.head)
        yield f"retry: 1000\nevent: hello\ndata: {last[1]}\n\n"
        started, beat = time.monotonic(), time.monotonic()
        while time.monotonic() - started < STREAM_MAX_S and not shell.closing:
            await asyncio.sleep(POLL_S)
            if await request.is_disconnected():
                return
            head = await run_in_threadpool(shell.studio.head)
            if head != last:
                last = head
                yield f"event: change\ndata: {head[1]}\n\n"
            elif time.monotonic() - beat > 15:
                beat = time.monotonic()
                yield ": keep-alive\n\n"
    return StreamingResponse(stream(), media_type="text/event-stream")


def _events(shell: Shell) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        return await events(shell, request)
    return endpoint


# -- the mode switch -------------------------------------------------------------------------------------


def switch_mode(shell: Shell, form: FormData) -> Response:
    session, studio = shell.session, shell.studio
    target, current = text_field(form, "target"), session.mode
    choice = text_field(form, "choice") or None
    draft = session.draft
    decision = modes.decide_switch(current=current, target=target, transactions=studio.transactions(),
                                   draft_state=studio.state_of(draft.tx_id), choice=choice)
    if decision.outcome == "invalid":
        raise fail("studio-mode-invalid", f"no mode {target[:20]!r} or choice {choice!r}", "target")
    if decision.outcome == "blocked":
        raise fail("studio-mode-switch-blocked", t("mode.blocked"), "mode", blocking=list(decision.blocking))
    if decision.outcome == "choose":
        return RedirectResponse(f"/mode/confirm?target={target}", 303)
    if decision.outcome == "stay":
        session.say(t("mode.stayed", current=t(f"mode.{current}")), "info")
    if decision.outcome == "discard" and draft.tx_id is not None:
        studio.reject(draft.tx_id, t("tx.reason.discard"))
        session.drafts[current] = type(draft)()
        session.say(t("mode.discarded"), "info", mode=target)
    if decision.outcome == "keep":
        session.say(t("mode.kept", current=t(f"mode.{current}")), "info", mode=target)
    if decision.switches:
        session.mode = target
        session.say(t("mode.switched", target=t(f"mode.{target}")), "ok")
        _repreview_if_stale(shell)
    return RedirectResponse(lane(session.mode), 303)


def _repreview_if_stale(shell: Shell) -> None:
    """A kept draft whose preview went stale while away gets a fresh preview (never a silent apply)."""
    draft = shell.session.draft
    if draft.tx_id is None:
        return
    shown = shell.studio.show(draft.tx_id)
    if shown["stale"] and shown["state"] == m.APPROVAL_PENDING:
        shell.studio.refresh(draft.tx_id)
        shell.session.say(t("mode.repreviewed"), "info")


def confirm_page(shell: Shell, request: Request) -> Response:
    target = request.query_params.get("target", "")
    if target not in modes.MODES:
        return shell.page("error.html", status=404, message=t("error.notfound"))
    session = shell.session
    pending = shell.studio.state_of(session.draft.tx_id) in modes.DRAFT_DECISION_STATES
    return shell.page("confirm.html", target=target, pending=pending)


def _error_page(shell: Shell, request: Request, exc: Exception) -> Response:
    """A refusal or a bug while rendering a page: a coded message, never a traceback."""
    if isinstance(exc, ModgateError):
        code, message, status = exc.code, exc.message, 409
    else:
        if os.environ.get("MODGATE_DEBUG"):
            raise exc
        code, message, status = "internal-error", f"unexpected {type(exc).__name__} (set MODGATE_DEBUG=1 for a" \
                                                  " traceback)", 500
    text = plain_error(code, message) if shell.session.mode == "light" else f"{code}: {message}"
    return PlainTextResponse(text + "\n", status_code=status)


# -- the application --------------------------------------------------------------------------------------


def create_app(home: Path | None = None, *, keys: Secrets | None = None, bind: str = "127.0.0.1",
               host: str | None = None) -> Guard:
    """The guarded ASGI app; ``app.shell`` (on the inner Starlette) gives tests the session."""
    from modgate.studio import heavy, light

    keys = keys or Secrets()
    studio = Studio(home, host=host)
    shell = Shell(studio, keys)
    static = StaticFiles(directory=str(files("modgate.studio") / "static"))
    routes: list[BaseRoute] = [
        Route("/", redirect(lambda: lane(shell.session.mode))),
        Route("/mode", action(shell, lambda f: switch_mode(shell, f)), methods=["POST"]),
        Route("/mode/confirm", threaded(lambda r: confirm_page(shell, r))),
        Route("/recover", action(shell, _recover(shell)), methods=["POST"]),
        Route("/audit/verify", action(shell, _verify(shell)), methods=["POST"]),
        Route("/audit/filter", action(shell, _audit_filter(shell)), methods=["POST"]),
        Route("/changes", threaded(lambda r: shell.page("changes.html", section="changes"))),
        Route("/fragment/surface", threaded(lambda r: shell.fragment("surface.html"))),
        Route("/fragment/status", threaded(lambda r: shell.fragment("status.html"))),
        Route("/events", _events(shell)),
        *tx_routes(shell),
        *heavy.routes(shell),
        *light.routes(shell),
        Mount("/static", app=static, name="static"),
    ]
    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        shell.closing = True
        studio.close()

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={
        ModgateError: lambda r, e: _error_page(shell, r, e), Exception: lambda r, e: _error_page(shell, r, e)})
    app.state.shell = shell
    guard = Guard(app, keys, bind=bind)
    guard.shell = shell
    return guard
