"""The one composition root: opening modgate for a process.

Exactly this module builds the object graph, bottom up, and hands the parts to each other:

    database → store (persistence only) → transaction engine → approval queue → bus

Each area contributes its pieces as lists that are joined here — schema migrations, state
domains with their initial documents, transaction planners — the way datasette and
sqlite-utils compose their built-ins: nothing below knows what is above it. This is a shell: it
does I/O so that the core (bus, validators, graph, planners) does not have to.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from modgate.bus import Bus
from modgate.errors import ModgateError, Problem
from modgate.host import get_host
from modgate.host.checks import check_host
from modgate.host.model import Host
from modgate.limits import parse_limits
from modgate.state import JsonObject
from modgate.store.bus_store import SqliteBusStore
from modgate.store.db import DB_FILENAME, Database, Migration
from modgate.store.keys import ensure_keys
from modgate.tx.approvals import TxApprovalQueue
from modgate.tx.engine import TxEngine
from modgate.tx.model import Guard, Planner

if TYPE_CHECKING:
    from modgate.graph import ActionGraph, GraphSource


def resolve_home(home: str | os.PathLike[str] | None = None) -> Path:
    """``home``, else ``MODGATE_HOME``, else the platform's user data folder."""
    if home is not None:
        return Path(home)
    env = os.environ.get("MODGATE_HOME")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("modgate"))


@dataclass(slots=True)
class Runtime:
    """modgate opened on one home for one host application.

    ``bus`` dispatches commands; ``tx`` is the transaction engine (preview, approve, apply,
    rollback); ``approvals`` is the queue of gated dispatches; ``store`` reads state, journal and
    audit. Close it (or use it as a context manager) to release the database.
    """

    home: Path
    db: Database
    host: Host
    store: SqliteBusStore
    tx: TxEngine
    approvals: TxApprovalQueue
    bus: Bus

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    def graphs(self) -> list[ActionGraph]:
        """The action graph of the host, every enabled heavy module and every enabled extension mod."""
        return build_graphs_of(self.host, self.store.state())

    def verify_graphs(self, module_id: str | None = None) -> JsonObject:
        """Dry-run every action (one module's with ``module_id``) and compare with its graph."""
        from modgate.bus import dry_runner
        from modgate.graph import verify
        from modgate.graph_ext import unverified

        state = self.store.state()
        graphs = build_graphs_of(self.host, state)
        return verify(self.host, state, graphs, dry_run=dry_runner(self.host), unverified=[unverified],
                      module_id=module_id)

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- what each area contributes ------------------------------------------------------------------
def migrations() -> list[Migration]:
    """Every area's named migrations, in the order a new home applies them."""
    from modgate.caps.store import migrate_capability_grants
    from modgate.ext.records import migrate_ext_actions, migrate_ext_installs
    from modgate.ext.runstate import migrate_ext_runtime
    from modgate.light.records import MIGRATION as LIGHT_MIGRATION
    from modgate.light.records import migrate_light_intents
    from modgate.signoff.records import MIGRATION as SIGNOFF
    from modgate.signoff.records import migrate_signoff
    from modgate.store.schema import CORE_MIGRATIONS
    from modgate.tx.schema import TX_MIGRATIONS

    return [*CORE_MIGRATIONS, *TX_MIGRATIONS, ("0100_ext_installs", migrate_ext_installs),
            ("0101_ext_actions", migrate_ext_actions), ("0102_ext_runtime", migrate_ext_runtime),
            ("0300_capability_grants", migrate_capability_grants), (LIGHT_MIGRATION, migrate_light_intents),
            (SIGNOFF, migrate_signoff)]


def state_domains(host: Host, db: Database) -> dict[str, Callable[[], JsonObject]]:
    """Every state domain with its initial document: the host's, the module registry, extensions."""
    from modgate.ext.planner import EXTENSIONS_DOMAIN
    from modgate.ext.records import mirror
    from modgate.modules.registry import REGISTRY_DOMAIN, initial_registry

    def initial(name: str) -> Callable[[], JsonObject]:
        return lambda: host.initial_state()[name]

    domains = {name: initial(name) for name in host.state_domains}
    domains[REGISTRY_DOMAIN] = initial_registry
    # The extensions domain mirrors the install records (seeded from them in an older home).
    domains[EXTENSIONS_DOMAIN] = lambda: mirror(db)
    return domains


def planners(host: Host, store: SqliteBusStore) -> dict[str, Planner]:
    """Transaction planners by recipe kind."""
    from modgate.ext.planner import extension_planner
    from modgate.modules.registry import REGISTRY_DOMAIN
    from modgate.tx.planners import command_planner, import_planner, light_planner, ops_planner, remove_planner

    return {
        "command": command_planner(host, store.journal_lookup),
        "import": import_planner(host),
        "remove": remove_planner(),
        "ops": ops_planner((*host.state_domains, REGISTRY_DOMAIN)),
        "extension": extension_planner(),
        "light": light_planner(host),  # the light track (modgate.light)
    }


def graph_sources() -> list[GraphSource]:
    """Action graphs beyond the host's and the heavy modules': extension mods."""
    from modgate.graph_ext import extension_graphs

    return [extension_graphs]


def build_graphs_of(host: Host, state: JsonObject) -> list[ActionGraph]:
    from modgate.graph import build_graphs

    return build_graphs(host, state, graph_sources())


def guards(host: Host, db: Database) -> list[Guard]:
    """Checks every apply runs, whoever applies: a module's capability to write shared state."""
    from modgate.modules.actions import capability_guard

    return [capability_guard(host, db)]


# -- the root ------------------------------------------------------------------------------------
HOST_META_KEY = "host"  # the app id of the host application a home belongs to (meta table)


def _claim_home(db: Database, host: Host) -> None:
    """Remember ``host`` in a new (or pre-host) home; refuse a home that belongs to another host."""
    if db.read_only and not db.in_memory:
        owner = _stored_host(db) or host.app_id  # a reader never writes; the next writer claims it
    else:
        with db.atomic() as conn:
            # Idempotent: a home created before homes remembered their host adopts the first one.
            conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", (HOST_META_KEY, host.app_id))
            owner = conn.execute("SELECT value FROM meta WHERE key=?", (HOST_META_KEY,)).fetchone()[0]
    if owner != host.app_id:
        raise ModgateError(Problem(
            code="home-host-mismatch", path="host",
            message=f"this home ({db.path.parent}) belongs to the host application {owner!r}, not {host.app_id!r}",
            hint=f"open it with --host {owner}, or use another MODGATE_HOME for {host.app_id}",
            detail={"homeHost": owner, "requestedHost": host.app_id}))


def _stored_host(db: Database) -> str | None:
    rows = db.query("SELECT value FROM meta WHERE key=?", (HOST_META_KEY,))
    return str(rows[0][0]) if rows else None


def remembered_host(home: str | os.PathLike[str] | None = None) -> str | None:
    """The app id of the host application ``home`` belongs to; None for a new or pre-host home.

    Reads only: a home that does not exist is not created.
    """
    path = resolve_home(home) / DB_FILENAME
    if not path.is_file():
        return None
    db = Database(path, read_only=True)
    try:
        return _stored_host(db) if db.query("SELECT name FROM sqlite_master WHERE name='meta'") else None
    finally:
        db.close()


DEFAULT_HOST = "board"


def open_runtime(home: str | os.PathLike[str] | None = None, host: str | Host | None = None, *,
                 read_only: bool = False) -> Runtime:
    """Open (creating and migrating when needed) the home folder for a host application.

    ``home`` defaults to ``MODGATE_HOME``, else the platform's user data folder. ``host`` is a host
    name (built in — ``board``, ``codexchat`` —, registered with
    :func:`~modgate.host.register_host`, or installed through the ``modgate.hosts`` entry point
    group) or a :class:`~modgate.host.model.Host`; None means the host the home belongs to, else
    ``board``. A home remembers the app id of the first host it is opened with and refuses another
    one (``home-host-mismatch``); an unknown name is ``host-unknown``; a malformed host is
    ``host-invalid``. Unfinished transactions
    left by a crash are recovered before this returns.

    ``read_only``: for commands that only read. Nothing is created or changed: a missing home reads
    as a new one (in memory), a read-only database works, and no recovery runs (nor is the host
    remembered: a mismatch is still refused).
    """
    root = resolve_home(home)
    # A named host is resolved first, so an unknown name creates no home.
    named = get_host(host) if isinstance(host, str) else check_host(host) if host is not None else None
    limits = parse_limits(os.environ.get("MODGATE_LIMITS"))
    if not read_only:
        ensure_keys(root)  # made with the home, atomically, never lazily by the first signer
    db = Database(root / DB_FILENAME, read_only=read_only)
    try:
        db.migrate(migrations())
        the_host = named or get_host(_stored_host(db) or DEFAULT_HOST)
        _claim_home(db, the_host)
        store = SqliteBusStore(db, state_domains(the_host, db))
        tx = TxEngine(store, root, planners(the_host, store), guards=guards(the_host, db))
        approvals = TxApprovalQueue(tx)
        if not read_only:
            tx.recover()  # never leave an attempt half-done after a crash
    except BaseException:
        db.close()
        raise
    rt = Runtime(home=root, db=db, host=the_host, store=store, tx=tx, approvals=approvals,
                 bus=Bus(the_host, store, approvals=approvals, limits=limits))
    if not read_only:
        from modgate.ext.events import attach  # extension hooks hear committed board events

        attach(rt)
    return rt
