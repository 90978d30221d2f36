"""Our segment tables, on a metadata of their own: no foreign keys into host tables.

The membership history tables (history/models.py) share the metadata; importing this
module registers them too, so ``Base.metadata`` is the whole schema of our migrations.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import NAMING, Base
from .history import models as _history_models  # noqa: F401  (the history tables on Base)
from .types import UTCDateTime, utcnow

__all__ = ["NAMING", "Base", "Segment", "SegmentGroup"]


class SegmentGroup(Base):
    """A named folder of segments; deleting one never deletes its segments."""

    __tablename__ = "cs_segment_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    segments: Mapped[list[Segment]] = relationship(
        back_populates="group", order_by="Segment.position, Segment.id")

    def __repr__(self) -> str:
        return f"<SegmentGroup {self.id} {self.name!r}>"


class Segment(Base):
    """A saved filter over members: evaluated when looked at, never a stored list."""

    __tablename__ = "cs_segment"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    criteria: Mapped[dict] = mapped_column(sa.JSON)
    group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cs_segment_group.id", ondelete="SET NULL"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by: Mapped[str | None] = mapped_column(sa.String(200))
    updated_by: Mapped[str | None] = mapped_column(sa.String(200))

    group: Mapped[SegmentGroup | None] = relationship(back_populates="segments")

    __mapper_args__ = {"version_id_col": version}

    @property
    def group_name(self) -> str | None:
        return self.group.name if self.group is not None else None

    def __repr__(self) -> str:
        return f"<Segment {self.id} {self.title!r}>"

