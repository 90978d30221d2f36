"""Membership history: stored memberships, history points, change details, signal outbox.

Revision ID: b4e19c3f5a20
Revises: 7d2c1b4a9e01
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "b4e19c3f5a20"
down_revision = "7d2c1b4a9e01"
branch_labels = None
depends_on = None

TABLES = ("cs_refresh_lock", "cs_membership", "cs_history_point", "cs_history_change",
          "cs_history_outbox")


def _naive_utc():
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _blob():
    return sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


def _lock():
    op.create_table(
        "cs_refresh_lock",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("refreshed_at", _naive_utc(), nullable=True),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cs_refresh_lock"),
    )


def _membership():
    op.create_table(
        "cs_membership",
        sa.Column("segment_id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("criteria_hash", sa.String(64), nullable=False),
        sa.Column("members", _blob(), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("refreshed_at", _naive_utc(), nullable=False),
        sa.PrimaryKeyConstraint("segment_id", name="pk_cs_membership"),
    )


def _point():
    op.create_table(
        "cs_history_point",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("segment_id", sa.Integer, nullable=False),
        sa.Column("at", _naive_utc(), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("entered", sa.Integer, nullable=False),
        sa.Column("left", sa.Integer, nullable=False),
        sa.Column("baseline", sa.Boolean, nullable=False),
        sa.Column("criteria_changed", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cs_history_point"),
    )
    op.create_index("ix_cs_history_point_segment_at", "cs_history_point", ["segment_id", "at"])


def _change():
    op.create_table(
        "cs_history_change",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("point_id", sa.Integer, nullable=False),
        sa.Column("segment_id", sa.Integer, nullable=False),
        sa.Column("at", _naive_utc(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("members", _blob(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cs_history_change"),
    )
    op.create_index("ix_cs_history_change_point_id", "cs_history_change", ["point_id"])
    op.create_index("ix_cs_history_change_segment_at", "cs_history_change", ["segment_id", "at"])


def _outbox():
    op.create_table(
        "cs_history_outbox",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("segment_id", sa.Integer, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("at", _naive_utc(), nullable=False),
        sa.Column("member_ids", sa.Text, nullable=False),
        sa.Column("claimed_at", _naive_utc(), nullable=True),
        sa.Column("claim", sa.String(32), nullable=True),
        sa.Column("sent_at", _naive_utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_cs_history_outbox"),
    )
    op.create_index("ix_cs_history_outbox_sent_at", "cs_history_outbox", ["sent_at"])


def upgrade():
    # A host's create_all() may have made the tables already (FlaskBB's install does).
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for table, create in zip(TABLES, (_lock, _membership, _point, _change, _outbox), strict=True):
        if table not in existing:
            create()


def downgrade():
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for table in reversed(TABLES):
        if table in existing:
            op.drop_table(table)
