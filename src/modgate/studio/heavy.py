"""The heavy lane: package workspace and console, capability grants, action graph, extensions.

Reached only in heavy mode (an explicit switch); in light mode its pages send the user to the
switch page instead, and its forms refuse with ``studio-wrong-mode``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modgate.studio.shell import Draft, Shell, mode_guarded, text_field
from modgate.studio.strings import t
from modgate.studio.svg import graph_svg

MODULE_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,63}")
CONSOLE_KEEP = 200


def _log(shell: Shell, lines: list[dict[str, Any]]) -> None:
    draft = shell.session.drafts["heavy"]
    draft.console = (draft.console + lines)[-CONSOLE_KEEP:]


def routes(shell: Shell) -> list[BaseRoute]:
    from modgate.studio.app import action

    studio, session = shell.studio, shell.session
    def draft() -> Draft:  # looked up each time: a discard replaces the draft object
        return session.drafts["heavy"]

    def lint(form: FormData) -> None:
        draft().text = text_field(form, "package")
        problems = studio.lint(draft().text)
        _log(shell, [{"code": "lint-ok", "path": "", "message": t("heavy.lint.ok")}] if not problems else
             [{"code": p["code"], "path": p["path"], "message": p["message"], "hint": p.get("hint")}
              for p in problems])
        session.say(t("heavy.lint.count", n=len(problems)) if problems else t("heavy.lint.ok"),
                    "error" if problems else "ok")

    def import_(form: FormData) -> None:
        draft().text = text_field(form, "package")
        envelope, shown = studio.propose_import(draft().text)
        if shown is None:
            detail = envelope.get("detail") or {}
            inner = detail.get("manifestCode") or detail.get("jsonCode")
            _log(shell, [{**{k: envelope.get(k) for k in ("code", "path", "message")}, "inner": inner}])
            session.say(f"{envelope['code']}: {envelope['message']} (at {envelope.get('path', '')})", "error")
            return
        draft().tx_id = shown["txId"]
        session.last_preview = {k: shown[k] for k in ("txId", "attemptNo", "previewHash", "baseRevision")}
        _log(shell, [{"code": "previewed", "path": shown["txId"], "message": t(
            "heavy.imported", id=shown["txId"], hash=shown["previewHash"])}])
        session.say(t("heavy.imported", id=shown["txId"], hash=shown["previewHash"]), "ok")

    def starter(form: FormData) -> None:
        module_id = text_field(form, "moduleId").strip()
        if not MODULE_ID.fullmatch(module_id):
            module_id = "my-module"
        draft().text = studio.starter(module_id)

    def grant(form: FormData) -> None:
        module, cap = text_field(form, "moduleId"), text_field(form, "capabilityId")
        studio.grant(module, cap, persistent=text_field(form, "persistent") == "1")
        session.say(t("grants.granted", cap=cap, module=module), "ok")

    def revoke(form: FormData) -> None:
        module, cap = text_field(form, "moduleId"), text_field(form, "capabilityId")
        studio.revoke(module, cap)
        session.say(t("grants.revoked", cap=cap, module=module), "ok")

    def toggle(enabled: bool) -> Callable[[FormData], None]:
        def work(form: FormData) -> None:
            result = studio.set_mod_enabled(text_field(form, "installId"), enabled)
            session.say(t("ext.enabled", action=result["action"], id=result["mod"]["id"]), "ok")
        return work

    def workspace(request: Request) -> Response:
        return shell.page("heavy.html", draft=draft(), section="workspace")

    def grants_page(request: Request) -> Response:
        return shell.page("grants.html", modules=studio.modules(), grants=studio.grants(), section="grants")

    def graph_page(request: Request) -> Response:
        graphs = studio.graphs()
        ids = [g["moduleId"] for g in graphs]
        wanted = request.query_params.get("module") or (ids[1] if len(ids) > 1 else ids[0])
        chosen = next((g for g in graphs if g["moduleId"] == wanted), graphs[0])
        picture = Markup(graph_svg(chosen, title=t("graph.picture", module=chosen["moduleId"]),
                                   headings=(t("graph.action"), t("graph.calls"), t("graph.mutates"))))
        return shell.page("graph.html", graphs=graphs, chosen=chosen, picture=picture, section="graph")

    def extensions_page(request: Request) -> Response:
        return shell.page("extensions.html", ext=studio.mods(), section="extensions")

    return [
        Route("/heavy", mode_guarded(shell, "heavy", workspace)),
        Route("/heavy/grants", mode_guarded(shell, "heavy", grants_page)),
        Route("/heavy/graph", mode_guarded(shell, "heavy", graph_page)),
        Route("/extensions", mode_guarded(shell, "heavy", extensions_page)),
        Route("/heavy/lint", action(shell, lint, mode="heavy"), methods=["POST"]),
        Route("/heavy/import", action(shell, import_, mode="heavy"), methods=["POST"]),
        Route("/heavy/starter", action(shell, starter, mode="heavy"), methods=["POST"]),
        Route("/heavy/grant", action(shell, grant, mode="heavy"), methods=["POST"]),
        Route("/heavy/revoke", action(shell, revoke, mode="heavy"), methods=["POST"]),
        Route("/extensions/enable", action(shell, toggle(True), mode="heavy"), methods=["POST"]),
        Route("/extensions/disable", action(shell, toggle(False), mode="heavy"), methods=["POST"]),
    ]
