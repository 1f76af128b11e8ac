"""Open the database: engine with the right SQLite pragmas, Alembic migrations, sessions."""

from __future__ import annotations

import fcntl
import logging
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine.url import URL, make_url
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
from replydraft.errors import ConfigurationError

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
    # How long /readyz waits for the write probe: a server that accepted the connection but
    # does not answer (frozen) would otherwise hold the probe, and /readyz, for ever.
    probe_timeout_s: float = 5.0
    _prober: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="db-probe"))

    def probe_writes_within(self) -> bool:
        """Run ``probe_writes`` in the probe thread; False when it has not answered within
        ``probe_timeout_s`` (it goes on, and later probes queue behind it until the server
        answers again); its error, if it raises in time."""
        try:
            self._prober.submit(self.probe_writes).result(timeout=self.probe_timeout_s)
        except FutureTimeout:
            return False
        return True

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
        self._prober.shutdown(wait=False, cancel_futures=True)
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


@dataclass(frozen=True)
class ServerLimits:
    """Pool and timeouts of a server database (see the ``db_*`` settings)."""

    pool_size: int = 5
    max_overflow: int = 5
    pool_timeout_s: float = 5.0
    connect_timeout_s: float = 5.0
    statement_timeout_s: float = 15.0

    @classmethod
    def of(cls, settings: Settings) -> ServerLimits:
        return cls(pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow,
                   pool_timeout_s=settings.db_pool_timeout_s,
                   connect_timeout_s=settings.db_connect_timeout_s,
                   statement_timeout_s=settings.db_statement_timeout_s)


def database_url(url: str) -> URL:
    """``url`` with the driver we ship for it: a bare ``postgresql://`` means psycopg 3 (the
    ``postgres`` extra), not SQLAlchemy's default psycopg2, which we do not install."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _server_engine(url: URL, limits: ServerLimits) -> Engine:
    connect_args: dict[str, Any] = {"connect_timeout": max(1, round(limits.connect_timeout_s))}
    if url.get_backend_name() == "postgresql":
        # Server-side limits, so a lock wait or a runaway query ends with an error (503) instead
        # of holding a pooled connection and its request for ever.
        statement_ms = round(limits.statement_timeout_s * 1000)
        connect_args["options"] = (f"-c statement_timeout={statement_ms} "
                                   f"-c lock_timeout={statement_ms} "
                                   f"-c idle_in_transaction_session_timeout={statement_ms * 4}")
        connect_args["application_name"] = "replydraft"
    return create_engine(url, pool_pre_ping=True, pool_size=limits.pool_size,
                         max_overflow=limits.max_overflow, pool_timeout=limits.pool_timeout_s,
                         pool_recycle=1800, connect_args=connect_args)


def make_engine(url: str, *, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S,
                limits: ServerLimits | None = None) -> Engine:
    parsed = database_url(url)
    if parsed.get_backend_name() != "sqlite":
        return _server_engine(parsed, limits or ServerLimits())
    on_disk = bool(parsed.database) and parsed.database != ":memory:"
    if on_disk:
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed,
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


def head_revision() -> str:
    """The newest schema revision this replydraft ships."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current_schema(engine: Engine) -> None:
    """Raise ConfigurationError unless the schema is at this replydraft's head revision."""
    current, head = schema_revision(engine), head_revision()
    if current != head:
        raise ConfigurationError(
            f"the database schema is at revision {current or 'none'}, this replydraft needs "
            f"{head}: run `replydraft db upgrade` (REPLYDRAFT_MIGRATE_ON_START is false)")


def open_database(settings: Settings, *, run_migrations: bool | None = None) -> Database:
    """Open the configured database; migrate it when ``run_migrations`` (default: the
    ``migrate_on_start`` setting), else only check that it is up to date. A fault of the
    database itself (see db.faults) does not stop the process: the migration waits for the
    first session after the fault clears, and /readyz reports the fault meanwhile."""
    engine = make_engine(settings.resolved_database_url,
                         busy_timeout_s=settings.db_busy_timeout_s,
                         limits=ServerLimits.of(settings))
    migrating = settings.migrate_on_start if run_migrations is None else run_migrations
    pending = False
    try:
        if migrating:
            migrate(engine)
        else:
            require_current_schema(engine)
    except DBAPIError as error:
        if fault_kind(error) is None:
            raise
        log.warning("database %s at start-up; %s once it clears: %s", fault_kind(error),
                    "migrating" if migrating else "the schema is not checked", error)
        pending = migrating
    sessions = sessionmaker(engine, expire_on_commit=False)
    database = Database(engine=engine, sessions=sessions,
                        busy_timeout_s=settings.db_busy_timeout_s,
                        migrations=_PendingMigrations(pending),
                        probe_timeout_s=settings.db_connect_timeout_s + 1)
    event.listen(sessions, "after_commit", lambda _session: database.faults.clear())
    return database
