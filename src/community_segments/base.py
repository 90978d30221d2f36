"""The declarative base of our tables: one metadata of their own, with naming conventions.

A leaf, so that every module defining tables (models.py, history/models.py) can import
it without importing the others.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


def table_of(model: Any) -> sa.Table:
    """A model's table, typed as one (``__table__`` is declared as any FROM clause)."""
    table = model.__table__
    assert isinstance(table, sa.Table)
    return table
