"""The light lane: plain words only (no code, JSON, paths, command ids or error codes).

Built on :mod:`modgate.light` (the light track) when it is installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from modgate.studio.shell import Shell


def _guarded(shell: Shell, render: Callable[[Request], Response]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        if shell.session.mode != "light":
            return RedirectResponse("/mode/confirm?target=light", 303)
        return await run_in_threadpool(render, request)
    return endpoint


def routes(shell: Shell) -> list[BaseRoute]:
    def page(request: Request) -> Response:
        return shell.page("light.html", section="light", available=False)

    return [Route("/light", _guarded(shell, page))]
