"""Running the studio: bind, serve with uvicorn, print the sign-in link once the socket accepts."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modgate.errors import ModgateError, Problem
from modgate.studio.security import Secrets


def bind_socket(bind: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((bind, port))
    except OSError as exc:
        sock.close()
        raise ModgateError(Problem(code="studio-bind-failed", path="--port" if port else "--bind",
                                   message=f"cannot listen on {bind}:{port}: {exc.strerror or exc}",
                                   detail={"errno": exc.errno or 0})) from exc
    sock.listen(128)
    return sock


def url_of(bind: str, port: int, token: str) -> str:
    host = f"[{bind}]" if ":" in bind else bind
    host = "127.0.0.1" if bind in ("0.0.0.0", "::") else host
    return f"http://{host}:{port}/?token={token}"


def serve(*, bind: str, port: int, home: Path | None = None, host: str | None = None,
          on_ready: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted; ``on_ready(url)`` runs once the server accepts connections."""
    import uvicorn

    from modgate.studio.app import create_app

    keys = Secrets()
    app = create_app(home, keys=keys, bind=bind, host=host)
    sock = bind_socket(bind, port)
    url = url_of(bind, sock.getsockname()[1], keys.token)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=2)

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[Any] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                (on_ready or _print)(url)

        def handle_exit(self, sig: int, frame: Any) -> None:
            app.shell.closing = True  # open event streams end instead of holding the shutdown
            super().handle_exit(sig, frame)

    try:
        Server(config).run(sockets=[sock])
    finally:
        sock.close()


def _print(url: str) -> None:
    sys.stdout.write(f"modgate studio is ready: {url}\n")
    sys.stdout.flush()
