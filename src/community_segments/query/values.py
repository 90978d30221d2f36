"""The most common values of a field with their member counts: the builder's suggestions.

A value's count is what ``equals`` (text, enum) or ``has_any`` (multi) with that value
counts: values are grouped by their folded form (query/fold.py), over the member base.
Matching is case-insensitive: values that start with the typed text come first, then
those that contain it elsewhere, most common first within each.

Pure: builds SQL and folds rows; running the query (and sampling, caching) is the caller's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from ..fields import FieldType, FilterField
from .fold import fold

SUGGESTABLE = (FieldType.TEXT, FieldType.ENUM, FieldType.MULTI)


@dataclass(frozen=True)
class ValueCount:
    value: str
    count: int
    starts: bool = True  # the value starts with the typed text (else it contains it)


@dataclass(frozen=True)
class Source:
    """Where the members are: their table, id column, base condition (None: everyone)."""

    members: sa.FromClause
    member_id: sa.ColumnElement
    base: sa.ColumnElement[bool] | None = None


Within = Callable[[sa.ColumnElement], sa.ColumnElement[bool]]


def values_query(field: FilterField, source: Source, typed: str = "", limit: int | None = None,
                 within: Within | None = None) -> sa.Select:
    """``value, count, starts`` rows of ``field``'s values containing ``typed``.

    ``within(member_id_column)`` restricts the members further (a sample).
    """
    if field.type not in SUGGESTABLE:
        raise ValueError(f"{field.type} field {field.key!r} has no values to suggest")
    if field.type is FieldType.MULTI:
        return _multi(field, source, typed, limit, within)
    column, joined = field.column, source.members
    if field.lookup is not None:  # a name held by foreign key: join the small names table
        column = field.lookup.name
        joined = joined.join(field.lookup.id.table, field.lookup.key == field.lookup.id)
    count = sa.func.count().label("count")
    return _grouped(column, count, joined, typed, limit,
                    [source.base, within and within(source.member_id)])


def _multi(field, source, typed, limit, within):
    rel = field.related
    joined, conditions = rel.selectable, []
    if source.base is not None:  # only members of the base count
        joined = joined.join(source.members, source.member_id == rel.owner)
        conditions.append(source.base)
    if within is not None:
        conditions.append(within(rel.owner))
    count = sa.func.count(sa.distinct(rel.owner)).label("count")
    return _grouped(rel.value, count, joined, typed, limit, conditions)


def _grouped(column, count, joined, typed: str, limit, conditions) -> sa.Select:
    folded = fold(column, typed)
    starts = sa.func.min(sa.case((folded.startswith(typed.lower(), autoescape=True), 1),
                                 else_=0)) if typed else sa.literal(1)
    query = (sa.select(sa.func.min(column).label("value"), count, starts.label("starts"))
             .select_from(joined)
             .where(column.is_not(None), sa.func.length(column) > 0,
                    *(c for c in conditions if c is not None))
             .group_by(folded))
    if typed:
        query = query.where(folded.contains(typed.lower(), autoescape=True))
    query = query.order_by(sa.desc("starts"), sa.desc("count"), sa.asc("value"))
    return query.limit(limit) if limit else query


def merge(rows: Iterable, limit: int | None = None, scale: float = 1.0) -> list[ValueCount]:
    """Rows folded once more in Python, sorted, cut to ``limit``, counts times ``scale``.

    SQLite's ``lower()`` folds ASCII only, so "Ünternehmen" and "ünternehmen" come back as
    two groups; ``equals`` counts them together, and so does this.
    """
    merged: dict[str, list] = {}
    for value, count, starts in rows:
        key = value.lower()
        if key in merged:
            merged[key][1] += count
        else:
            merged[key] = [value, count, bool(starts)]
    found = [ValueCount(v, round(n * scale), s) for v, n, s in merged.values()]
    found.sort(key=lambda item: (not item.starts, -item.count, item.value))
    return found[:limit] if limit else found


def id_windows(low: int, high: int, size: int, windows: int = 20) -> list[tuple[int, int]]:
    """``windows`` evenly spaced id ranges holding about ``size`` ids in all, from low to high."""
    span = high - low + 1
    if size >= span:
        return [(low, high)]
    width = max(1, size // windows)
    step = span / windows
    return [(low + int(i * step), low + int(i * step) + width - 1) for i in range(windows)]


def in_windows(windows: list[tuple[int, int]]) -> Within:
    """Primary-key range scans, one per window (a multi-index OR on SQLite, a bitmap OR on
    PostgreSQL), never a scan of every member."""
    return lambda member_id: sa.or_(*(member_id.between(lo, hi) for lo, hi in windows))
