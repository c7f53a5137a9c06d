"""Opening modgate for a process: MODGATE_HOME, the database, the host and the bus.

This is a shell: it does I/O so that the core (bus, validators, graph) does not have to.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from modgate.bus import Bus
from modgate.host import get_host
from modgate.host.model import Host
from modgate.limits import parse_limits
from modgate.store.bus_store import SqliteBusStore
from modgate.store.db import DB_FILENAME, Database
from modgate.store.keys import ensure_keys
from modgate.store.schema import MIGRATIONS


def resolve_home(home: str | os.PathLike[str] | None = None) -> Path:
    """MODGATE_HOME, else the platform's user data dir."""
    if home is not None:
        return Path(home)
    env = os.environ.get("MODGATE_HOME")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("modgate"))


@dataclass(slots=True)
class Runtime:
    home: Path
    db: Database
    host: Host
    store: SqliteBusStore
    bus: Bus

    def close(self) -> None:
        self.db.close()


def open_runtime(home: str | os.PathLike[str] | None = None, host: str | Host = "board") -> Runtime:
    root = resolve_home(home)
    limits = parse_limits(os.environ.get("MODGATE_LIMITS"))
    ensure_keys(root)  # made with the home, atomically, never lazily by the first signer
    db = Database(root / DB_FILENAME)
    try:
        db.migrate(MIGRATIONS)
        the_host = get_host(host) if isinstance(host, str) else host
        store = SqliteBusStore(db, the_host)
        store.tx.recover()  # never leave an attempt half-done after a crash
    except BaseException:
        db.close()
        raise
    return Runtime(home=root, db=db, host=the_host, store=store, bus=Bus(the_host, store, limits=limits))
