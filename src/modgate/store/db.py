"""The SQLite database under MODGATE_HOME: connection, atomic blocks, migrations.

One database file (``modgate.sqlite3``) holds everything persistent. WAL mode lets readers
run beside one writer; every write block starts with ``BEGIN IMMEDIATE`` so two processes
serialise on the write lock instead of failing half-way, and ``synchronous=FULL`` makes a
commit durable before we tell the user it happened. sqlite3 errors are translated into coded
:class:`~modgate.errors.StoreError` values here and nowhere else.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from modgate.errors import Problem, StoreError

DB_FILENAME = "modgate.sqlite3"
SETUP_LOCK_SUFFIX = ".setup-lock"
Migration = tuple[str, Callable[[sqlite3.Connection], None]]


def translate(exc: BaseException, path: Path | str = "") -> StoreError:
    """The one place where sqlite3/OS errors become coded errors."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        code, msg = "store-locked", "the database is locked by another modgate process; try again"
    elif "readonly" in text or "read-only" in text or isinstance(exc, PermissionError):
        code, msg = "store-readonly", "the database (or its folder) is not writable"
    elif "not a database" in text or "malformed" in text or "file is encrypted" in text:
        code, msg = "store-corrupt", "the database file is corrupted or is not a modgate database"
    elif "unable to open" in text:
        code, msg = "store-readonly", "the database file cannot be opened (check the folder's permissions)"
    else:
        code, msg = "store-error", f"database error: {exc}"
    return StoreError(Problem(code=code, path=str(path), message=msg, detail={"sqlite": str(exc)}))


@contextmanager
def translating(path: Path | str = "") -> Iterator[None]:
    try:
        yield
    except StoreError:
        raise
    except (sqlite3.Error, OSError) as exc:
        raise translate(exc, path) from exc


@contextmanager
def setup_lock(db_path: Path) -> Iterator[None]:
    """An exclusive flock beside the database while it is opened and migrated.

    Switching a new file to WAL and running the first migrations are not safe to race: two
    processes both see "not migrated" and the loser fails with ``table ... already exists``.
    The lock serialises the few milliseconds of setup; the data itself is guarded by SQLite.
    """
    import fcntl  # POSIX only, like the transaction lease

    with translating(db_path):
        db_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(db_path.with_name(db_path.name + SETUP_LOCK_SUFFIX),
                     os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class Database:
    """A connection with sqlite-utils-style ``atomic()`` blocks and named migrations."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = 10_000, read_only: bool = False) -> None:
        """``read_only``: never create or change anything. A missing database is read as a new,
        empty one (in memory); an existing one is opened read-only, so a read-only file works."""
        self.path = path
        self.read_only = read_only
        self._depth = 0
        # Bumped at every top-level BEGIN: data read while the same epoch is open cannot have
        # been changed by another process (we hold the write lock), so callers may cache it.
        self.epoch = 0
        # Called after every top-level COMMIT (the audit anchor is written there, outside the file).
        self.after_commit: Callable[[], None] | None = None
        # A writer that buffers rows inside a transaction (the bus store's grouped commits):
        # ``before_use`` runs before anyone else uses the connection in a transaction (a nested
        # atomic block, query, execute) and before the top-level COMMIT, so every reader and the
        # commit see the buffered rows; ``after_rollback`` runs after any rollback (buffer dropped).
        self.before_use: Callable[[], None] | None = None
        self.after_rollback: Callable[[], None] | None = None
        with self._setup(path), translating(path):
            self.conn = self._connect(path, busy_timeout_ms / 1000)
            self.conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            if read_only:
                return
            self._connect_writable()

    def _setup(self, path: Path) -> AbstractContextManager[None]:
        # A read-only open creates nothing, not even the lock file, and races no one.
        return nullcontext() if self.read_only else setup_lock(path)

    @property
    def in_memory(self) -> bool:
        return self.read_only and not self.path.exists()

    def _connect(self, path: Path, timeout: float) -> sqlite3.Connection:
        if not self.read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
            return sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=timeout)
        if not path.exists():
            return sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        uri = f"{path.resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=timeout)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:  # WAL needs a writable folder for its -shm: read a snapshot
            conn.close()
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True, isolation_level=None,
                                   check_same_thread=False)
        return conn

    def _connect_writable(self) -> None:
        mode = self.conn.execute("PRAGMA journal_mode=WAL").fetchone()
        if mode is None:
            raise sqlite3.DatabaseError("file is not a database")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        with translating(self.path):
            self.conn.close()

    @contextmanager
    def atomic(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE at top level, SAVEPOINT when nested; rollback on any exception."""
        with translating(self.path):
            if self._depth == 0:
                self.conn.execute("BEGIN IMMEDIATE")
                self.epoch += 1
            else:
                self._flush()
                self.conn.execute(f"SAVEPOINT sp{self._depth}")
        self._depth += 1
        try:
            yield self.conn
            if self._depth == 1:
                self._flush()  # buffered rows are written inside the transaction they belong to
        except BaseException as exc:
            self._depth -= 1
            self._rollback()
            if self.after_rollback is not None:
                self.after_rollback()
            if isinstance(exc, sqlite3.Error):
                raise translate(exc, self.path) from exc
            raise
        self._depth -= 1
        try:
            with translating(self.path):
                if self._depth == 0:
                    self.conn.execute("COMMIT")
                else:
                    self.conn.execute(f"RELEASE sp{self._depth}")
        except BaseException:
            # A failed COMMIT (a full disk) is rolled back like any failure: what the writers
            # cached of this transaction (the bus store's state and revision) is dropped.
            self._rollback()
            if self.after_rollback is not None:
                self.after_rollback()
            raise
        if self._depth == 0 and self.after_commit is not None:
            self.after_commit()

    def _rollback(self) -> None:
        try:
            if self._depth == 0:
                self.conn.execute("ROLLBACK")
            else:
                self.conn.execute(f"ROLLBACK TO sp{self._depth}")
                self.conn.execute(f"RELEASE sp{self._depth}")
        except sqlite3.Error:
            pass  # the original exception matters more than a failed rollback

    def _flush(self) -> None:
        if self.before_use is not None and self._depth > 0:
            self.before_use()

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with translating(self.path):
            self._flush()
            return self.conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with translating(self.path):
            self._flush()
            self.conn.execute(sql, params)

    def migrate(self, migrations: Sequence[Migration]) -> list[str]:
        """Apply the named migrations not yet recorded, each committed with its record.

        Under :func:`setup_lock`, so concurrent first opens migrate once (the others find the
        records and apply nothing).
        """
        with self._setup(self.path):
            return self._migrate(migrations)

    def _migrate(self, migrations: Sequence[Migration]) -> list[str]:
        with translating(self.path):
            self.conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)")
            done = {row[0] for row in self.conn.execute("SELECT name FROM schema_migrations")}
        known = {name for name, _ in migrations}
        unknown = sorted(done - known)
        if unknown:
            raise StoreError(
                Problem(
                    code="store-schema-too-new",
                    path=str(self.path),
                    message=f"the database was written by a newer modgate (migration {unknown[0]!r})",
                )
            )
        pending = [name for name, _ in migrations if name not in done]
        if pending and self.read_only and not self.in_memory:
            raise StoreError(Problem(code="store-readonly", path=str(self.path), message=(
                f"this home needs an upgrade ({pending[0]}) but was opened read-only; run any command"
                " that changes something once, with write access")))
        applied = []
        for name, fn in migrations:
            if name in done:
                continue
            with self.atomic() as conn:
                fn(conn)
                conn.execute("INSERT INTO schema_migrations(name) VALUES (?)", (name,))
            applied.append(name)
        return applied


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run ``;;``-separated statements inside the caller's transaction.

    ``executescript`` would COMMIT first and break the migration's atomicity, and trigger
    bodies contain ``;``, hence the double separator.
    """
    for statement in script.split(";;"):
        if statement.strip():
            conn.execute(statement)
