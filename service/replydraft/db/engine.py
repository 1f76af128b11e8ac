"""Open the database: engine with the right SQLite pragmas, Alembic migrations, sessions."""

from __future__ import annotations

import fcntl
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from replydraft.config import Settings
from replydraft.db.faults import (
    FaultLatch,
    UnwritableFile,
    discard_faulty_connections,
    fault_kind,
    guarded_pool,
    refuse_unwritable,
)

log = logging.getLogger(__name__)

_DB_DIR = Path(__file__).resolve().parent
SQLITE_BUSY_TIMEOUT_S = 10.0
# The readiness probe waits this long for the write lock: long enough for an ordinary commit
# to finish, short enough that /readyz answers promptly while a writer hogs the lock.
PROBE_BUSY_TIMEOUT_MS = 1000


@dataclass(frozen=True)
class Database:
    engine: Engine
    sessions: sessionmaker[Session]
    busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S  # what make_engine was given
    # Availability faults met by requests (see db.faults); read by /readyz.
    faults: FaultLatch = field(default_factory=FaultLatch)
    # Set when the schema could not be brought up to date at start-up because of such a fault:
    # the first session or readiness probe after it clears migrates.
    migrations: _PendingMigrations = field(default_factory=lambda: _PendingMigrations(False))

    @contextmanager
    def session(self) -> Iterator[Session]:
        self.migrations.run(self.engine)
        with self.sessions() as session:
            yield session

    def ping(self) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(text("SELECT 1")).scalar() == 1

    def probe_writes(self) -> None:
        """Raise the database's error unless it would accept a write now. On SQLite, a write
        transaction that creates a table and rolls back: it takes the write lock and needs a
        writable file and a free page, which is what a locked, read-only or full database
        lacks; nothing is written. Other back ends answer a plain query."""
        self.migrations.run(self.engine)
        if self.engine.url.get_backend_name() != "sqlite":
            self.ping()
            return
        with self.engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            assert raw is not None
            try:
                raw.execute(f"PRAGMA busy_timeout={PROBE_BUSY_TIMEOUT_MS}")
                raw.execute("BEGIN IMMEDIATE")
                try:
                    raw.execute("CREATE TABLE replydraft_write_probe (x INTEGER)")
                finally:
                    raw.execute("ROLLBACK")
                raw.execute(f"PRAGMA busy_timeout={round(self.busy_timeout_s * 1000)}")
            except sqlite3.Error:
                # Closed, not pooled again: it may hold a lock, or have been opened read-only.
                connection.invalidate()
                raise

    def close(self) -> None:
        database = self.engine.url.database
        if self.engine.url.get_backend_name() == "sqlite" and database:
            try:
                refuse_unwritable(database)
            except UnwritableFile:
                # Closing a connection touches the -shm mapping: a SIGBUS while it is unwritable.
                log.warning("database connections left open: the -shm file is not writable")
                return
        self.engine.dispose()


class _PendingMigrations:
    """Migrations still owed (a fault at start-up), run once the fault has cleared."""

    def __init__(self, pending: bool) -> None:
        self._pending = pending
        self._lock = threading.Lock()

    def run(self, engine: Engine) -> None:
        if not self._pending:
            return
        with self._lock:
            if self._pending:
                migrate(engine)  # raises the fault again while it lasts
                self._pending = False


def _sqlite_pragmas(busy_timeout_s: float) -> Any:
    def apply(dbapi_connection: Any, connection_record: object) -> None:
        # WAL lets readers run while one writer commits; busy_timeout makes a second writer
        # wait for the lock instead of failing at once; SQLite leaves foreign keys off unless
        # asked.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout_s * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return apply


def make_engine(url: str, *, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    on_disk = bool(parsed.database) and parsed.database != ":memory:"
    if on_disk:
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_s},
        **({"poolclass": guarded_pool(str(parsed.database))} if on_disk else {}),
    )
    event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_s))
    discard_faulty_connections(engine)
    return engine


def alembic_config() -> Config:
    config = Config(str(_DB_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(_DB_DIR / "migrations"))
    return config


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    # SQLite runs DDL outside a transaction, so processes starting together (uvicorn workers)
    # could both try to create the tables; a file lock next to the database serialises them.
    # PostgreSQL takes an advisory lock in migrations/env.py instead.
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is already there)."""
    config = alembic_config()
    with _migration_lock(engine), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_database(settings: Settings, *, run_migrations: bool = True) -> Database:
    """The database, migrated. A fault of the database itself (see db.faults) does not stop
    the process: the migration waits for the first session after the fault clears, and
    /readyz reports the fault meanwhile."""
    engine = make_engine(settings.resolved_database_url,
                         busy_timeout_s=settings.db_busy_timeout_s)
    pending = False
    if run_migrations:
        try:
            migrate(engine)
        except DBAPIError as error:
            if fault_kind(error) is None:
                raise
            log.warning("database %s at start-up; migrating once it clears: %s",
                        fault_kind(error), error)
            pending = True
    sessions = sessionmaker(engine, expire_on_commit=False)
    database = Database(engine=engine, sessions=sessions,
                        busy_timeout_s=settings.db_busy_timeout_s,
                        migrations=_PendingMigrations(pending))
    event.listen(sessions, "after_commit", lambda _session: database.faults.clear())
    return database
