"""Knowledge index versions in the database: the serving-version pointer and refresh lock
(``index_state``), the versions' manifests (``index_versions``) and the content-addressed units
they name (``index_units``). They lived in files under the data dir, which replicas had to share.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("index_id", sa.String(32), nullable=False),
        sa.Column("active", sa.Integer(), nullable=True),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.Column("switched_at", sa.DateTime(), nullable=True),
        sa.Column("lock_holder", sa.String(160), nullable=True),
        sa.Column("lock_heartbeat_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "index_versions",
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
    )
    op.create_table(
        "index_units",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("index_units")
    op.drop_table("index_versions")
    op.drop_table("index_state")
