"""Filter fields: what a provider contributes, and how it maps onto the member model."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement, FromClause
from sqlalchemy.sql.util import find_tables

from .errors import FieldDefinitionError


class FieldType(StrEnum):
    TEXT = "text"
    ENUM = "enum"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    MULTI = "multi"
    SEGMENT = "segment"  # the built-in field `segment`: membership of other segments


@dataclass(frozen=True)
class Related:
    """The related rows of a multi-valued field: ``(owner, value)`` pairs.

    ``selectable`` is a table or join; ``owner`` the column holding the member id;
    ``value`` the column holding the value matched against (a name, a label).
    When ``value`` lives in another table than ``selectable`` (a link table and a table
    of names), that table is joined here along the one foreign key between them;
    without such a key the definition is refused, because leaving the table out of the
    join would silently compare every member with every name (a cartesian product).
    """

    selectable: FromClause
    owner: ColumnElement
    value: ColumnElement

    def __post_init__(self):
        for name in ("owner", "value"):
            object.__setattr__(self, name, _column(getattr(self, name)))
        inside = set(find_tables(self.selectable, include_aliases=True))
        if not set(_tables(self.owner)) <= inside:
            raise FieldDefinitionError(
                f"Related: the owner column {self.owner} is not in {_name(self.selectable)}; "
                "pass the link table's member-id column")
        missing = [t for t in _tables(self.value) if t not in inside]
        if missing:
            object.__setattr__(self, "selectable", _join(self.selectable, missing, self.value))


def _column(expr):
    """ORM attributes (``Tag.name``) as their SQL column."""
    return expr.__clause_element__() if hasattr(expr, "__clause_element__") else expr


def _tables(expr) -> list:
    """The tables whose columns ``expr`` reads (a column, or an expression over columns)."""
    found = []
    for element in sa.sql.visitors.iterate(expr):
        table = getattr(element, "table", None)
        if isinstance(element, sa.ColumnClause) and table is not None and table not in found:
            found.append(table)
    return found


def _name(selectable) -> str:
    return getattr(selectable, "name", None) or str(selectable)


def _join(selectable, tables: list, value) -> FromClause:
    """``selectable`` joined to the tables of ``value`` by their foreign keys, or a clear error."""
    link = _name(selectable)
    try:
        for table in tables:
            selectable = selectable.join(table)
    except sa.exc.ArgumentError:  # no foreign key between them, or more than one
        names = ", ".join(_name(t) for t in tables)
        raise FieldDefinitionError(
            f"Related: the value column {value} is in {names}, which no single foreign key "
            f"links to {link}; pass the join yourself: Related({link}.join({names}, "
            f"{link}.c.<key> == {names}.c.id), {link}.c.<member id>, {_c(value)})") from None
    return selectable


def _c(column) -> str:
    """``tags.c.name`` for a table column, as it is written in Python."""
    table = getattr(column, "table", None)
    if table is None or not getattr(column, "name", None):
        return str(column)
    return f"{_name(table)}.c.{column.name}"


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
    column: Any = None  # an SQL expression or an ORM attribute (``User.email``)
    related: Related | None = None
    lookup: Lookup | None = None
    choices: Choices | None = None
    choice_labels: Mapping[str, str] | None = field(default=None, compare=False)
    description: str = ""
    provider: str = field(default="", compare=False)

    if TYPE_CHECKING:  # the generated __init__, as type checkers should see it: type="text" is fine
        def __init__(self, *, key: str, label: str, type: FieldType | str,
                     category: str = "Profile", column: Any = None,
                     related: Related | None = None, lookup: Lookup | None = None,
                     choices: Choices | None = None,
                     choice_labels: Mapping[str, str] | None = None,
                     description: str = "", provider: str = "") -> None: ...

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", FieldType(self.type))
        if self.type is FieldType.SEGMENT:
            pass  # inlined from the referenced segments' criteria, no column of its own
        elif self.type is FieldType.MULTI:
            if self.related is None:
                raise FieldDefinitionError(f"multi field {self.key!r} needs related=Related(...)")
        elif self.column is None:
            raise FieldDefinitionError(f"{self.type} field {self.key!r} needs column=...")
        if self.lookup is not None and self.type not in (FieldType.TEXT, FieldType.ENUM):
            raise FieldDefinitionError(f"{self.type} field {self.key!r} cannot have a lookup")

    def choice_list(self, session=None) -> list[str] | None:
        """The choices as a list; computed choices need a session (None without one)."""
        if self.choices is None:
            return None
        if callable(self.choices):
            return None if session is None else list(self.choices(session))
        return list(self.choices)
