"""Events from the board host's bus and transaction engine, delivered to extension hooks.

:func:`attach` registers one post-commit listener on a runtime's bus and transaction engine.
The listener runs after the commit (the bus and engine call it outside their SQLite
transaction, and it refuses to run inside one), synchronously, so hooks triggered by a CLI
command finish before that command exits. Events caused by the ``extension`` role — commands a
handler returned — never trigger hooks again, and a hook run never nests inside another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modgate.app import Runtime
    from modgate.ext.hooks import HookRunner, Run

BOARD_EVENTS = ("command.executed", "command.queued", "module.imported", "state.changed", "tx.applied",
                "tx.rolled_back")


def declared_events() -> dict[str, tuple[str, ...]]:
    """Every known host's declared events, by host name (a host that fails to load declares none)."""
    from modgate.errors import ModgateError
    from modgate.host import get_host, host_names

    out: dict[str, tuple[str, ...]] = {}
    for name in host_names():
        try:
            out[name] = tuple(get_host(name).event_names)
        except ModgateError:
            continue
    return out


def make_runner(rt: Runtime, ask: Any = None) -> HookRunner:
    from modgate.ext.hooks import HookRunner
    from modgate.ext.installer import Installer

    def dispatch(command_id: str, payload: Any, meta: Any) -> dict[str, Any]:
        return rt.bus.dispatch(command_id, payload, role="extension", meta=meta)

    return HookRunner(Installer(rt.tx, rt.home), ask=ask, dispatch=dispatch)


class BoardListener:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.busy = False
        self.runs: list[Run] = []
        self.errors: list[str] = []
        self._runnable: tuple[int, bool] | None = None  # (db epoch, any enabled executable mod)

    def _any_runnable(self) -> bool:
        """Whether any enabled executable mod is installed, asked once per committed transaction
        (a dispatch's ``command.executed`` and ``state.changed`` follow the same commit)."""
        epoch = self.rt.db.epoch
        if self._runnable is None or self._runnable[0] != epoch:
            found = self.rt.db.query("SELECT 1 FROM ext_installs WHERE enabled = 1 AND executable = 1 LIMIT 1")
            self._runnable = (epoch, bool(found))
        return self._runnable[1]

    def __call__(self, event: str, info: dict[str, str]) -> None:
        if info.get("role") == "extension" or self.busy or self.rt.db.in_transaction:
            return
        if not self._any_runnable():
            return  # the common case costs one indexed query a transaction
        from modgate.errors import ModgateError
        from modgate.ext.hooks import EventContext

        self.busy = True
        try:
            self.runs += make_runner(self.rt).emit(EventContext(event=event, payload=info))
        except (ModgateError, OSError) as exc:
            # A hook problem never fails the command that already committed.
            self.errors.append(f"{event}: {exc}")
        finally:
            self.busy = False


def attach(rt: Runtime) -> BoardListener:
    listener = BoardListener(rt)
    rt.bus.after_commit.append(listener)
    rt.tx.after_commit.append(listener)
    return listener
