"""The light lane: prompt → correction chips / guided answer → dry run and plain diff cards →
approve / reject → undo. Plain words only: no code, JSON, paths, command ids or error codes.

Built on :class:`modgate.light.service.LightService` (the same calls as ``modgate light``) and on
the task 252 resolver (:func:`modgate.adapt.resolve_stored`) for the before/after pictures of the
board on each device a layout change targets. Without the light track installed the lane says so.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modgate.app import Runtime
from modgate.errors import ModgateError
from modgate.studio.service import Studio, fail
from modgate.studio.shell import Draft, Shell, mode_guarded, text_field
from modgate.studio.strings import t
from modgate.studio.svg import board_svg

DEVICES = ("web", "tablet", "mobile")
PROMPT_LIMIT = 2000  # characters of a request: people write sentences, not files
LAYOUT_PREFIX = "/prefs/layout/"


def available(module: str = "modgate.light.service") -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package is absent
        return False


def _service(rt: Runtime) -> Any:
    from modgate.light.service import LightService

    return LightService(rt)


def propose(studio: Studio, text: str, devices: tuple[str, ...]) -> dict[str, Any]:
    if not text.strip() or len(text) > PROMPT_LIMIT:
        raise fail("studio-input-too-large" if text.strip() else "light-invalid-request",
                   t("light.prompt.bounds", n=PROMPT_LIMIT), "text")
    with studio.using() as rt:
        result: dict[str, Any] = _service(rt).propose(text, devices=devices)
    return result


def dry_run(studio: Studio, intent_id: str | None) -> dict[str, Any] | None:
    """The request's ``dryrun.report.v1`` (its checks and warnings are plain sentences)."""
    if not intent_id:
        return None
    with studio.using() as rt:
        found: dict[str, Any] | None = _service(rt).artifacts(intent_id).get("dryrun.report.v1")
    return found


def answer(studio: Studio, intent_id: str, option: int | None, text: str | None) -> dict[str, Any]:
    with studio.using() as rt:
        result: dict[str, Any] = _service(rt).answer(intent_id, option=option, text=text)
    return result


# -- before/after pictures ----------------------------------------------------------------------------


def _side_state(state: dict[str, Any], entries: list[dict[str, Any]], side: str) -> dict[str, Any]:
    """The state with every entry's ``before`` (or ``after``) value in place."""
    from modgate.state import MISSING, Op, apply_ops, get_path

    ops = []
    for entry in entries:
        gone = (side == "before" and entry["op"] == "add") or (side == "after" and entry["op"] == "remove")
        if not gone:
            ops.append(Op("replace", entry["path"], entry[side]))
        elif get_path(state, entry["path"]) is not MISSING:
            ops.append(Op("remove", entry["path"]))
    return apply_ops(state, ops)


def _rects(view: dict[str, Any]) -> list[dict[str, Any]]:
    width, height = view["viewport"]["width"], view["viewport"]["height"]
    out = [{"label": t("board.top"), "x": 0, "y": 0, "w": width, "h": 60, "kind": "chrome"},
           {"label": t("board.bottom"), "x": 0, "y": height - 60, "w": width, "h": 60, "kind": "chrome"}]
    for key in ("dataInput", "toolbarAux"):
        rect = view["panels"][key].get("rect")
        if rect:
            out.append({"label": t(f"board.{key}"), "x": rect["x"], "y": rect["y"], "w": rect["width"],
                        "h": rect["height"], "kind": key})
    launcher = view["launcher"]
    if launcher.get("visible") and launcher.get("rect"):
        r = launcher["rect"]
        out.append({"label": t("board.launcher"), "x": r["x"], "y": r["y"], "w": r["width"], "h": r["height"],
                    "kind": "launcher"})
    return out


def boards(studio: Studio, tx: dict[str, Any]) -> list[dict[str, Any]]:
    """Per targeted device: the board before and after a layout change (none for other changes)."""
    entries = tx["preview"]["entries"]
    devices = sorted({e["path"][len(LAYOUT_PREFIX):].split("/")[0] for e in entries
                      if e["path"].startswith(LAYOUT_PREFIX)} & set(DEVICES), key=DEVICES.index)
    if not devices or not available("modgate.adapt"):
        return []
    from modgate.adapt import resolve_stored

    state = studio.call(lambda rt: rt.store.state())
    try:
        views = {side: resolve_stored(_side_state(state, entries, side), devices).layout_view()["targets"]
                 for side in ("before", "after")}
    except (ModgateError, KeyError, TypeError, ValueError):
        return []  # a layout the resolver refuses has no picture; the words still say what changes
    out = []
    for device in devices:
        name = t(f"device.{device}")
        pictures = {side: Markup(board_svg(views[side][device]["viewport"]["width"],  # board_svg escapes
                                           views[side][device]["viewport"]["height"], _rects(views[side][device]),
                                           title=t(f"board.{side}", device=name)))
                    for side in ("before", "after")}
        out.append({"device": name, **pictures})
    return out


# -- routes -------------------------------------------------------------------------------------------------


def routes(shell: Shell) -> list[BaseRoute]:
    from modgate.studio.app import action

    studio, session = shell.studio, shell.session

    def draft() -> Draft:
        return session.drafts["light"]

    def remember(result: dict[str, Any], text: str | None = None) -> None:
        if text is not None:
            draft().text = text
        draft().extra = {"result": result}
        draft().tx_id = result.get("txId")
        if result.get("txId"):
            session.last_preview = {"txId": result["txId"], "intentId": result.get("intentId")}

    def do_propose(form: FormData) -> None:
        text = text_field(form, "text")
        devices = tuple(d for d in DEVICES if text_field(form, f"device-{d}") == "on")
        result = propose(studio, text, devices)
        # A refused request is not offered back for editing: it may hold the very code that was refused.
        remember(result, "" if result.get("ok") is False and result.get("recoverable") is False else text)

    def do_answer(form: FormData) -> None:
        result = draft().extra.get("result") or {}
        if not result.get("intentId"):
            raise fail("light-answer-not-expected", t("light.nothing.to.answer"), "intentId")
        option_text, said = text_field(form, "option"), text_field(form, "text").strip()
        option = int(option_text) if option_text.isdigit() else None
        if option is None and not said:
            raise fail("light-invalid-request", t("light.answer.empty"), "answer")
        remember(answer(studio, result["intentId"], option, None if option is not None else said[:PROMPT_LIMIT]))

    def do_approve(form: FormData) -> None:
        tx_id = draft().tx_id
        if tx_id is None:
            raise fail("tx-not-found", t("light.nothing.to.approve"), "txId")
        studio.approve(tx_id, text_field(form, "previewHash"))
        studio.apply(tx_id)
        session.say(t("light.applied"), "ok")

    def do_reject(form: FormData) -> None:
        if draft().tx_id is not None:
            studio.reject(draft().tx_id or "", t("tx.reason.studio"))
        session.drafts["light"] = Draft(text=draft().text)
        session.say(t("light.rejected"), "info")

    def do_undo(form: FormData) -> None:
        if draft().tx_id is None:
            raise fail("tx-not-found", t("light.nothing.to.undo"), "txId")
        studio.rollback(draft().tx_id or "", t("light.undo.reason"))
        session.say(t("light.undone"), "ok")

    def do_new(form: FormData) -> None:
        session.drafts["light"] = Draft()

    def page(request: Request) -> Response:
        if not available():
            return shell.page("light.html", section="light", available=False, draft=draft())
        tx_id = draft().tx_id
        tx = studio.show(tx_id) if tx_id else None
        result = draft().extra.get("result") or {}
        return shell.page("light.html", section="light", available=True, draft=draft(), tx=tx,
                          result=result or None, devices=DEVICES, boards=boards(studio, tx) if tx else [],
                          dryrun=dry_run(studio, result.get("intentId")) if tx else None)

    return [
        Route("/light", mode_guarded(shell, "light", page)),
        Route("/light/propose", action(shell, do_propose, mode="light"), methods=["POST"]),
        Route("/light/answer", action(shell, do_answer, mode="light"), methods=["POST"]),
        Route("/light/approve", action(shell, do_approve, mode="light"), methods=["POST"]),
        Route("/light/reject", action(shell, do_reject, mode="light"), methods=["POST"]),
        Route("/light/undo", action(shell, do_undo, mode="light"), methods=["POST"]),
        Route("/light/new", action(shell, do_new, mode="light"), methods=["POST"]),
    ]
