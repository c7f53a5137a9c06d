"""``modgate studio``: the local web app (task 257) — light lane, heavy lane, one transaction surface."""

from __future__ import annotations

import sys

import click
import orjson

from modgate.errors import ModgateError, Problem


@click.command()
@click.option("--bind", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback exposes the studio to the network"
                   " (the token still guards it).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser; just print the link.")
@click.option("--json", "as_json", is_flag=True,
              help='Print the link as one JSON object ({"ok", "url", "port"}) once ready; failures as JSON too.')
def studio(bind: str, port: int, no_browser: bool, as_json: bool) -> None:
    """Serve the studio on BIND:PORT and print its sign-in link (with a one-off token).

    State comes from MODGATE_HOME, like every other command; nothing of it is served as files.
    Stop with Ctrl-C.
    """
    try:
        import jinja2  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise ModgateError(Problem(code="studio-deps-missing", path="",
                                   message=f"modgate studio needs the studio extra ({exc.name} is missing):"
                                           " pip install 'modgate[studio]'")) from exc
    from modgate.cli.core import selected_host
    from modgate.studio.server import serve

    if bind not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: listening on {bind}, not only on this computer", err=True)

    def ready(url: str) -> None:
        port_now = int(url.split("/?")[0].rsplit(":", 1)[1])
        line = orjson.dumps({"ok": True, "url": url, "port": port_now}).decode() if as_json else \
            f"modgate studio is ready: {url}"
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        if not no_browser:
            import webbrowser

            webbrowser.open(url)

    serve(bind=bind, port=port, host=selected_host(), on_ready=ready)
