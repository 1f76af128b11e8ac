"""Persistence: drafts and their append-only audit trail, API keys, idempotency keys and
knowledge jobs, in SQLite (default, under ``REPLYDRAFT_DATA_DIR``) or PostgreSQL
(``REPLYDRAFT_DATABASE_URL``).

``engine`` opens the database and applies the Alembic migrations; ``models`` holds the tables;
the other modules are repository functions taking a ``Session`` and keyword-only arguments.
Nothing here knows about HTTP.
"""
