"""The studio's gate, as ASGI middleware in front of every route (static files included).

* Host check: the Host header must name a loopback address (or the address given with
  ``--bind``), so a DNS-rebinding page cannot talk to the studio through its own name.
* Token: the URL printed at start carries a random token (Jupyter-style). ``GET /?token=…``
  with the right token sets an HttpOnly, SameSite=Strict session cookie and redirects to ``/``
  (dropping the token from the address bar). Any request without that cookie gets 401 —
  never a 200.
* State changes: only POST changes anything. A POST must carry an ``Origin`` equal to the
  studio's own origin (checked here) and the CSRF token (checked by the form reader in
  :mod:`modgate.studio.app`, which parses the body). Other methods get 405.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "modgate_studio"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                                 b" connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # no-referrer would make chromium send Origin: null
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Secrets:
    """Per-process secrets: the URL token, the session cookie's value and the CSRF token."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    cookie: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def to_dict(self) -> dict[str, str]:
        return {"token": self.token, "cookie": self.cookie, "csrf": self.csrf}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Secrets:
        return cls(token=data["token"], cookie=data["cookie"], csrf=data["csrf"])


def same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookie(header: str | None) -> str | None:
    for part in (header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value
    return None


def host_name(host_header: str) -> str:
    """``127.0.0.1:8765`` → ``127.0.0.1``; ``[::1]:80`` → ``[::1]``."""
    if host_header.startswith("["):
        return host_header.split("]", 1)[0] + "]"
    return host_header.rsplit(":", 1)[0] if ":" in host_header else host_header


async def _plain(send: Send, status: int, code: str, text: str, extra: list[tuple[bytes, bytes]] | None = None
                 ) -> None:
    body = f"{code}: {text}\n".encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        *SECURITY_HEADERS, *(extra or [])]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    def __init__(self, app: ASGIApp, keys: Secrets, *, bind: str = "127.0.0.1") -> None:
        self.app = app
        self.keys = keys
        self.any_host = bind in ("0.0.0.0", "::")  # told otherwise: the token still guards every path
        self.hosts = LOOPBACK | {bind, f"[{bind}]"}
        self.shell: Any = None  # the studio shell behind the gate (tests and the server reach it here)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # the studio speaks no websocket: refuse before any route sees it
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":  # lifespan
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            status, code, text, extra = refusal
            await _plain(send, status, code, text, extra)
            return
        await self.app(scope, receive, _with_headers(send))

    def _refusal(self, scope: Scope) -> tuple[int, str, str, list[tuple[bytes, bytes]]] | None:
        headers = _headers(scope)
        host = headers.get("host", "")
        if not self.any_host and host_name(host) not in self.hosts:
            return 403, "studio-host-refused", "this studio answers only on its loopback address", []
        method = scope["method"]
        if not same(_cookie(headers.get("cookie")), self.keys.cookie):
            return self._login(scope, method)
        if method in SAFE_METHODS:
            return None
        if method != "POST":
            return 405, "studio-method-not-allowed", "only GET and POST are served", []
        if headers.get("origin") != f"http://{host}":
            return 403, "studio-origin-refused", "a change must come from a page of this studio", []
        return None

    def _login(self, scope: Scope, method: str) -> tuple[int, str, str, list[tuple[bytes, bytes]]]:
        token = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [None])[0]
        if method == "GET" and scope["path"] == "/" and same(token, self.keys.token):
            cookie = f"{COOKIE}={self.keys.cookie}; HttpOnly; SameSite=Strict; Path=/"
            return 303, "studio-signed-in", "signed in; continue at /", [
                (b"location", b"/"), (b"set-cookie", cookie.encode())]
        return 401, "studio-token-required", "open the link with the token that `modgate studio` printed", []


def _with_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
        await send(message)
    return wrapped
