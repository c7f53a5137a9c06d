"""Hosts shipped with modgate. ``get_host(name)`` returns one by name."""

from __future__ import annotations

from modgate.host.model import CommandSpec, Host

HOST_NAMES = ("board",)


def get_host(name: str = "board") -> Host:
    if name == "board":
        from modgate.host.board import board_host

        return board_host()
    raise KeyError(name)


__all__ = ["HOST_NAMES", "CommandSpec", "Host", "get_host"]
