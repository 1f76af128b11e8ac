"""Knowledge jobs hold a lease: the runner's heartbeat, so a job whose process died (on any
host) stops blocking the next refresh once its lease has expired.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("knowledge_jobs") as batch:
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("knowledge_jobs") as batch:
        batch.drop_column("heartbeat_at")
