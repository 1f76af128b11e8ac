"""Initial schema: drafts, their audit events and policy hits, API keys, idempotency keys,
knowledge jobs.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _index(table: str, *columns: str, name: str | None = None) -> None:
    op.create_index(name or f"ix_{table}_{columns[0]}", table, list(columns), unique=False)


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "drafts",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(40), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("backend", sa.String(128), nullable=False),
        sa.Column("primary_intent", sa.String(32), nullable=False),
        sa.Column("intents", sa.String(512), nullable=False),
        sa.Column("fallback_reason", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("final_text", sa.Text(), nullable=True),
        sa.Column("edited", sa.Boolean(), nullable=True),
        sa.Column("edit_distance", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
    )
    for column in ("conversation_id", "created_at", "created_by", "decided_by",
                   "primary_intent", "status"):
        _index("drafts", column)
    op.create_table(
        "knowledge_jobs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("runner", sa.String(128), nullable=False),
        sa.Column("active_slot", sa.String(16), nullable=True, unique=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("errors", sa.JSON(), nullable=True),
    )
    op.create_table(
        "draft_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("draft_id", sa.String(40), sa.ForeignKey("drafts.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("before_text", sa.Text(), nullable=True),
        sa.Column("after_text", sa.Text(), nullable=True),
        sa.Column("policy", sa.JSON(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
    )
    _index("draft_events", "draft_id")
    op.create_table(
        "idempotency_keys",
        sa.Column("actor", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("draft_id", sa.String(40), sa.ForeignKey("drafts.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "policy_hits",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("draft_id", sa.String(40), sa.ForeignKey("drafts.id"), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    _index("policy_hits", "at", "rule", name="ix_policy_hits_at_rule")
    _index("policy_hits", "draft_id")


def downgrade() -> None:
    for table in ("policy_hits", "idempotency_keys", "draft_events", "knowledge_jobs", "drafts",
                  "api_keys"):
        op.drop_table(table)
