"""Filter fields: what a provider contributes, and how it maps onto the member model."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.sql.expression import ColumnElement, FromClause


class FieldType(StrEnum):
    TEXT = "text"
    ENUM = "enum"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    MULTI = "multi"


@dataclass(frozen=True)
class Related:
    """The related rows of a multi-valued field: ``(owner, value)`` pairs.

    ``selectable`` is a table or join; ``owner`` the column holding the member id;
    ``value`` the column holding the value matched against (a name, a label).
    """

    selectable: FromClause
    owner: ColumnElement
    value: ColumnElement


@dataclass(frozen=True)
class Lookup:
    """A text or enum value held as a foreign key into a small table of names.

    ``key`` is the member's foreign key (``users.primary_group_id``); ``id`` and
    ``name`` are the looked-up table's key and name columns. With a lookup the compiler
    filters on ``key IN (SELECT id ... WHERE <condition on name>)`` instead of a
    correlated name lookup per member.
    """

    key: ColumnElement
    id: ColumnElement
    name: ColumnElement


Choices = Sequence[str] | Callable[[Any], Sequence[str]]


@dataclass(frozen=True, kw_only=True)
class FilterField:
    """A filterable member attribute.

    Scalar fields give ``column``: an SQL expression evaluated per member row (a column,
    or a correlated scalar subquery). Multi fields give ``related`` instead. A text or
    enum field whose ``column`` is a name looked up by foreign key may also give
    ``lookup``: filters then compare the key, which is faster (same results).
    ``choices`` lists the values of enum and multi fields, or is a callable taking a
    SQLAlchemy session and returning them (computed from the database).
    ``choice_labels`` optionally names choices for people (``{"DE": "Germany"}``); pages
    show "Germany (DE)" while criteria keep the value.
    """

    key: str
    label: str
    type: FieldType
    category: str = "Profile"
    column: ColumnElement | None = None
    related: Related | None = None
    lookup: Lookup | None = None
    choices: Choices | None = None
    choice_labels: Mapping[str, str] | None = field(default=None, compare=False)
    description: str = ""
    provider: str = field(default="", compare=False)

    def __post_init__(self):
        object.__setattr__(self, "type", FieldType(self.type))
        if self.type is FieldType.MULTI:
            if self.related is None:
                raise ValueError(f"multi field {self.key!r} needs related=Related(...)")
        elif self.column is None:
            raise ValueError(f"{self.type} field {self.key!r} needs column=...")
        if self.lookup is not None and self.type not in (FieldType.TEXT, FieldType.ENUM):
            raise ValueError(f"{self.type} field {self.key!r} cannot have a lookup")

    def choice_list(self, session=None) -> list[str] | None:
        """The choices as a list; computed choices need a session (None without one)."""
        if self.choices is None:
            return None
        if callable(self.choices):
            return None if session is None else list(self.choices(session))
        return list(self.choices)
