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
from modgate.host import get_host
from modgate.host.model import Host
from modgate.state import JsonObject
from modgate.store.bus_store import SqliteBusStore
from modgate.store.db import DB_FILENAME, Database, Migration
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
    from modgate.caps_store import migrate_capability_grants
    from modgate.ext.records import migrate_ext_actions, migrate_ext_installs
    from modgate.ext.runstate import migrate_ext_runtime
    from modgate.light.records import MIGRATION as LIGHT_MIGRATION
    from modgate.light.records import migrate_light_intents
    from modgate.store.schema import CORE_MIGRATIONS
    from modgate.tx.schema import TX_MIGRATIONS

    return [*CORE_MIGRATIONS, *TX_MIGRATIONS, ("0100_ext_installs", migrate_ext_installs),
            ("0101_ext_actions", migrate_ext_actions), ("0102_ext_runtime", migrate_ext_runtime),
            ("0300_capability_grants", migrate_capability_grants), (LIGHT_MIGRATION, migrate_light_intents)]


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
def open_runtime(home: str | os.PathLike[str] | None = None, host: str | Host = "board", *,
                 read_only: bool = False) -> Runtime:
    """Open (creating and migrating when needed) the home folder for a host application.

    ``home`` defaults to ``MODGATE_HOME``, else the platform's user data folder; ``host`` is a
    registered host name (``board``, ``codexchat``) or a :class:`~modgate.host.model.Host`.
    Unfinished transactions left by a crash are recovered before this returns.

    ``read_only``: for commands that only read. Nothing is created or changed: a missing home reads
    as a new one (in memory), a read-only database works, and no recovery runs.
    """
    root = resolve_home(home)
    the_host = get_host(host) if isinstance(host, str) else host
    db = Database(root / DB_FILENAME, read_only=read_only)
    try:
        db.migrate(migrations())
        store = SqliteBusStore(db, state_domains(the_host, db))
        tx = TxEngine(store, root, planners(the_host, store), guards=guards(the_host, db))
        approvals = TxApprovalQueue(tx)
        if not read_only:
            tx.recover()  # never leave an attempt half-done after a crash
    except BaseException:
        db.close()
        raise
    rt = Runtime(home=root, db=db, host=the_host, store=store, tx=tx, approvals=approvals,
                 bus=Bus(the_host, store, approvals=approvals))
    if not read_only:
        from modgate.ext.events import attach  # extension hooks hear committed board events

        attach(rt)
    return rt
