"""Faults of the database itself, told apart from bugs: locked past the busy timeout, read-only,
full, failing I/O, unreachable.

Such a fault is the operator's to clear and the caller's to retry, so the API answers it with
503 and ``Retry-After`` (not 500) and ``/readyz`` reports not-ready while it lasts. A missing
table or a constraint violation is not one: those stay errors.

Recovery needs no restart: a connection that hit one of these faults is discarded (SQLAlchemy's
``handle_error`` hook marks it as disconnected), so the next request opens a fresh one. Without
that, a pooled connection SQLite opened read-only (the file was read-only when it connected)
stays read-only after the file is writable again.

One fault cannot be met by trying: SQLite maps the WAL index (``-shm``) into memory and writes
to it on every transaction, reads included; once that file is unwritable (``chattr +i``, a file
system remounted read-only) the write is a SIGBUS that kills the process. So a SQLite pool hands
out no connection (``GuardedPool``) while the ``-shm`` file is unwritable: the caller gets the
read-only fault (503, reads too), and the mapped connections wait untouched in the pool until
the file is writable again.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import PoolProxiedConnection, QueuePool

# What a request may meet when the database is at fault: a driver error, or every pooled
# connection busy past REPLYDRAFT_DB_POOL_TIMEOUT_S (SQLAlchemy's own error, not the driver's).
DATABASE_ERRORS: tuple[type[Exception], ...] = (DBAPIError, PoolTimeout)

RETRY_AFTER_S = 5
# How long a fault seen by a request keeps /readyz not-ready, even when the write probe passes
# (a disk that filled up may have room for the probe's page, not for the next draft).
FAULT_HOLD_S = 5.0

# SQLite primary result codes (the low byte of an extended code) and what they mean here.
_SQLITE_FAULTS = {
    5: "locked",  # SQLITE_BUSY: another writer held the lock past the busy timeout
    6: "locked",  # SQLITE_LOCKED
    8: "read-only",  # SQLITE_READONLY
    10: "I/O error",  # SQLITE_IOERR
    13: "full",  # SQLITE_FULL: disk full, or max_page_count reached
    14: "unreachable",  # SQLITE_CANTOPEN
    15: "locked",  # SQLITE_PROTOCOL: lock protocol race in WAL
}


class UnwritableFile(sqlite3.OperationalError):
    """A file of the database is not writable: reported as SQLite's own read-only error."""

    sqlite_errorcode = 8  # SQLITE_READONLY
    sqlite_errorname = "SQLITE_READONLY"


def refuse_unwritable(database: str) -> None:
    """Raise ``UnwritableFile`` when the database's ``-shm`` file exists unwritable. (An
    unwritable database or ``-wal`` file is written with write(), which fails with an error
    SQLite reports; reads go on.)"""
    shm = f"{database}-shm"
    if os.path.exists(shm) and not os.access(shm, os.W_OK):
        raise UnwritableFile(f"{os.path.basename(shm)} is not writable")


class GuardedPool(QueuePool):
    """A pool of SQLite connections that refuses to hand one out while a file of the database
    is unwritable (see the module's docstring). Subclassed per database by ``guarded_pool``
    (SQLAlchemy recreates a pool from its class)."""

    database = ""

    def connect(self) -> PoolProxiedConnection:
        refuse_unwritable(self.database)
        return super().connect()


def guarded_pool(database: str) -> type[GuardedPool]:
    return type("GuardedPool", (GuardedPool,), {"database": database})


def fault_kind(error: BaseException) -> str | None:
    """``locked``, ``read-only``, ``full``, ``I/O error``, ``unreachable``, ``unavailable`` or
    ``busy`` when ``error`` is a fault of the database's availability; None for anything else
    (bugs, constraints)."""
    if isinstance(error, PoolTimeout):
        return "busy"  # every connection this process may open is in use
    original = error.orig if isinstance(error, DBAPIError) else error
    if isinstance(original, sqlite3.Error):
        code = getattr(original, "sqlite_errorcode", None)
        return _SQLITE_FAULTS.get(code & 0xFF) if isinstance(code, int) else None
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return "unreachable"
        # Other drivers (psycopg): OperationalError is the DB-API class for "the database, not
        # the statement, failed": connection lost, server shutting down, disk full, read-only,
        # and (psycopg's subclasses) statement or lock timeouts.
        if any(cls.__name__ == "OperationalError" for cls in type(original).__mro__):
            return "unavailable"
    return None


class FaultLatch:
    """The last availability fault a request met, and when; thread-safe."""

    def __init__(self, hold_s: float = FAULT_HOLD_S) -> None:
        self._hold_s = hold_s
        self._lock = threading.Lock()
        self._last: tuple[str, float] | None = None

    def record(self, kind: str) -> None:
        with self._lock:
            self._last = (kind, time.monotonic())

    def clear(self) -> None:
        """A write went through: whatever was wrong is not wrong any more."""
        with self._lock:
            self._last = None

    def recent(self) -> str | None:
        """The fault seen within the hold time, else None."""
        with self._lock:
            if self._last is None or time.monotonic() - self._last[1] > self._hold_s:
                return None
            return self._last[0]


def discard_faulty_connections(engine: Engine) -> None:
    """Have SQLAlchemy drop any connection that met a fault, instead of pooling it again."""

    @event.listens_for(engine, "handle_error")
    def _mark(context: Any) -> None:
        error = context.original_exception
        if isinstance(error, sqlite3.Error) and fault_kind(error) is not None:
            # The whole pool goes (SQLAlchemy's default on a disconnect): every pooled
            # connection was opened under the same fault, and SQLite connections are cheap.
            context.is_disconnect = True
