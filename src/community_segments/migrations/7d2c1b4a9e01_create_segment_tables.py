"""Create the segment and segment-group tables.

Revision ID: 7d2c1b4a9e01
Revises:
Create Date: 2026-11-29

Branch ``community_segments``, run by :func:`community_segments.migrate.upgrade` with a
version table of our own in every host (in FlaskBB too, see ``hosts/flaskbb/schema.py``).
No foreign keys into host tables, so it runs in any host.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "7d2c1b4a9e01"
down_revision = None
branch_labels = ("community_segments",)
depends_on = None


def _naive_utc():
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade():
    # A host's create_all() may have made the tables already (FlaskBB's install does).
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "cs_segment_group" not in existing:
        op.create_table(
            "cs_segment_group",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(200), nullable=False),
            sa.Column("position", sa.Integer, nullable=False, server_default="0"),
            sa.Column("created_at", _naive_utc(), nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_cs_segment_group"),
            sa.UniqueConstraint("name", name="uq_cs_segment_group_name"),
        )
    if "cs_segment" not in existing:
        op.create_table(
            "cs_segment",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("title", sa.String(200), nullable=False),
            sa.Column("description", sa.Text, nullable=False),
            sa.Column("criteria", sa.JSON, nullable=False),
            sa.Column("group_id", sa.Integer, nullable=True),
            sa.Column("position", sa.Integer, nullable=False, server_default="0"),
            sa.Column("version", sa.Integer, nullable=False, server_default="1"),
            sa.Column("created_at", _naive_utc(), nullable=False),
            sa.Column("updated_at", _naive_utc(), nullable=False),
            sa.Column("created_by", sa.String(200), nullable=True),
            sa.Column("updated_by", sa.String(200), nullable=True),
            sa.PrimaryKeyConstraint("id", name="pk_cs_segment"),
            sa.UniqueConstraint("title", name="uq_cs_segment_title"),
            sa.ForeignKeyConstraint(["group_id"], ["cs_segment_group.id"], ondelete="SET NULL",
                                    name="fk_cs_segment_group_id_cs_segment_group"),
        )
        op.create_index("ix_cs_segment_group_id", "cs_segment", ["group_id"])


def downgrade():
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "cs_segment" in existing:
        op.drop_table("cs_segment")
    if "cs_segment_group" in existing:
        op.drop_table("cs_segment_group")
