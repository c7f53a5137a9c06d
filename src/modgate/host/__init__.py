"""Hosts shipped with modgate. ``get_host(name)`` returns one by name."""

from __future__ import annotations

from modgate.host.model import CommandSpec, Host

HOST_NAMES = ("board", "codexchat")


def get_host(name: str = "board") -> Host:
    if name == "board":
        from modgate.host.board import board_host

        return board_host()
    if name == "codexchat":
        from modgate.host.codexchat import codexchat_host

        return codexchat_host()
    raise KeyError(name)


__all__ = ["HOST_NAMES", "CommandSpec", "Host", "get_host"]
