"""Alembic environment: migrate the connection the app hands over, or the configured database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from replydraft.db.models import Base

# An arbitrary constant: with PostgreSQL, API processes starting together take turns migrating.
_PG_MIGRATION_LOCK = 7_423_001

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _configured_url() -> str:
    from replydraft.config import get_settings

    return get_settings().resolved_database_url


def run_migrations_offline() -> None:
    context.configure(url=_configured_url(), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from replydraft.db.engine import make_engine

    with make_engine(_configured_url()).begin() as own_connection:
        _run(own_connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
