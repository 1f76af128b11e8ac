"""The schema, the migrations and the audit table's append-only rule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from replydraft.config import Settings
from replydraft.db.drafts import add_event
from replydraft.db.engine import open_database
from replydraft.db.models import Base, Draft, DraftEvent
from replydraft.db.types import utcnow


def _draft_row(draft_id: str = "dr_1") -> Draft:
    return Draft(id=draft_id, status="pending", created_by="alice", created_at=utcnow(),
                 language="zh-Hans", backend="offline", primary_intent="size_advice",
                 intents=",size_advice,", text="亲，建议XL码", request={}, result={})


def test_migrations_create_exactly_the_models(make_settings: Callable[..., Settings],
                                              database_url: str) -> None:
    """On SQLite and on PostgreSQL (the ``database_url`` fixture)."""
    database = open_database(make_settings(database_url=database_url))
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() \
            == "0004"
    database.close()


def test_sqlite_runs_in_wal_with_foreign_keys(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    database = open_database(settings)
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    assert Path(settings.data_dir / "replydraft.db").exists()
    database.close()


def test_migrating_twice_is_harmless(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    open_database(settings).close()
    database = open_database(settings)
    assert database.ping()
    database.close()


def test_events_need_an_existing_draft(make_settings: Callable[..., Settings]) -> None:
    database = open_database(make_settings())
    with database.session() as session:
        add_event(session=session, draft_id="dr_missing", kind="created", actor="alice")
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            session.commit()
    database.close()


def test_audit_rows_cannot_be_changed_or_deleted(make_settings: Callable[..., Settings]) -> None:
    database = open_database(make_settings())
    with database.session() as session:
        session.add(_draft_row())
        session.flush()
        add_event(session=session, draft_id="dr_1", kind="created", actor="alice",
                  after_text="亲，建议XL码")
        session.commit()
        event = session.query(DraftEvent).one()
        event.after_text = "rewritten history"
        with pytest.raises(RuntimeError, match="append-only"):
            session.commit()
        session.rollback()
        session.delete(session.query(DraftEvent).one())
        with pytest.raises(RuntimeError, match="append-only"):
            session.commit()
        session.rollback()
        assert session.query(DraftEvent).one().after_text == "亲，建议XL码"
    database.close()
