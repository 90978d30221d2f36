"""Compile a criteria tree into one SQLAlchemy boolean expression over the member model.

Pure: no Flask, no session. Values reach SQL only as bound parameters. Multi-valued
fields become (NOT) EXISTS subqueries, which databases plan as semi- and anti-joins
(never ``NOT IN (subquery)``: see DESIGN.md's measured traps).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from ..errors import CriteriaError
from ..fields import FieldType, FilterField, Lookup
from ..registry import FieldRegistry
from .fold import fold
from .references import Inliner, Resolver
from .tree import Group, Node, Rule


@dataclass
class Compiler:
    """``resolve`` maps a segment id to its criteria, for ``segment in/not_in`` rules."""

    registry: FieldRegistry
    member_id: sa.ColumnElement
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    resolve: Resolver | None = None

    def __post_init__(self):
        self.inliner = Inliner(self.resolve)

    def compile(self, node: Node, path: str = "") -> sa.ColumnElement[bool]:
        if isinstance(node, Group):
            return self._group(node, path)
        field = self.registry.get(node.field)
        if field is None:
            raise CriteriaError({f"{path}.field" if path else "field":
                                 [f"unknown field {node.field!r}"]})
        if field.type is FieldType.SEGMENT:
            return self._segment(node, path)
        return self.rule(field, node)

    def _segment(self, rule: Rule, path: str) -> sa.ColumnElement[bool]:
        """In any of the segments (inlined); ``not_in``: in none of them."""
        inside = sa.or_(*self.inliner.inline(rule, path, self.compile))
        if rule.op == "in":
            return inside
        # strict: a member for whom a condition is NULL (no value) is not in the segment
        return sa.not_(sa.func.coalesce(inside, sa.false()))

    def _group(self, group: Group, path: str) -> sa.ColumnElement[bool]:
        parts = [self.compile(child, f"{path}.rules[{i}]" if path else f"rules[{i}]")
                 for i, child in enumerate(group.rules)]
        if not parts:
            return sa.true()
        if len(parts) == 1:
            return parts[0]
        return sa.and_(*parts) if group.match == "all" else sa.or_(*parts)

    def rule(self, field: FilterField, rule: Rule) -> sa.ColumnElement[bool]:
        if field.type is FieldType.MULTI:
            return _multi(field, self.member_id, rule.op, rule.value)
        if field.lookup is not None:
            return _lookup(field.lookup, rule.op, rule.value)
        col = field.column
        if field.type is FieldType.DATE:
            return _date(col, rule.op, rule.value, self.now)
        if field.type is FieldType.BOOLEAN:
            return col == sa.true() if rule.op == "is_true" else sa.or_(col.is_(None), col == sa.false())
        if field.type is FieldType.NUMBER:
            return _number(col, rule.op, rule.value)
        return _text(col, rule.op, rule.value)


def _empty(col, text: bool):
    # length() = 0, not = '': MariaDB's PAD SPACE collations find '  ' equal to ''.
    return sa.or_(col.is_(None), sa.func.length(col) == 0) if text else col.is_(None)


def _not_empty(col, text: bool):
    return sa.and_(col.is_not(None), sa.func.length(col) > 0) if text else col.is_not(None)


def _or_empty(col, cond):
    """Negative operators also match members whose value is empty."""
    return sa.or_(col.is_(None), cond)


def _text(col, op: str, value):
    if op == "is_empty":
        return _empty(col, True)
    if op == "is_not_empty":
        return _not_empty(col, True)
    values = value if isinstance(value, tuple) else (value,)
    folded = fold(col, *values)
    lower = [v.lower() for v in values]
    match op:
        case "equals":
            return folded == lower[0]
        case "not_equals":
            return _or_empty(col, folded != lower[0])
        case "in":
            return folded.in_(lower)
        case "not_in":
            return _or_empty(col, folded.not_in(lower))
        case "contains":
            return folded.contains(lower[0], autoescape=True)
        case "not_contains":
            return _or_empty(col, sa.not_(folded.contains(lower[0], autoescape=True)))
        case "starts_with":
            return folded.startswith(lower[0], autoescape=True)
        case "ends_with":
            return folded.endswith(lower[0], autoescape=True)
    raise AssertionError(op)


# The operators true where their positive twin is not (an empty name included).
POSITIVE_TWIN = {"not_equals": "equals", "not_in": "in", "not_contains": "contains",
                 "is_empty": "is_not_empty"}


def _lookup(lookup: Lookup, op: str, value):
    """A text condition on a looked-up name, as a condition on the member's foreign key.

    A member without a key (or with a dangling one) has an empty name: positive
    operators never match it, negative ones and ``is_empty`` always do.
    """
    if op not in POSITIVE_TWIN:
        return lookup.key.in_(_ids(lookup, op, value))
    # NOT IN (subquery) is one of DESIGN.md's traps on big tables; here the subquery
    # reads a few rows of a small table, hashed once, and returns primary keys, which
    # are never NULL (a NULL would make NOT IN match nobody).
    return sa.or_(lookup.key.is_(None),
                  lookup.key.not_in(_ids(lookup, POSITIVE_TWIN[op], value)))


def _ids(lookup: Lookup, op: str, value) -> sa.Select:
    return sa.select(lookup.id).where(_text(lookup.name, op, value))


def _number(col, op: str, value):
    match op:
        case "is_empty":
            return col.is_(None)
        case "is_not_empty":
            return col.is_not(None)
        case "equals":
            return col == value
        case "not_equals":
            return _or_empty(col, col != value)
        case "gt":
            return col > value
        case "gte":
            return col >= value
        case "lt":
            return col < value
        case "lte":
            return col <= value
        case "between":
            return col.between(*value)
    raise AssertionError(op)


def _moment(col, moment: datetime):
    """``moment`` (aware UTC) in the form the column compares with."""
    kind = col.type
    if isinstance(kind, TypeDecorator):
        return moment
    if isinstance(kind, sa.DateTime):
        return moment if kind.timezone else moment.replace(tzinfo=None)
    if isinstance(kind, sa.Date):
        return moment.date()
    return moment.replace(tzinfo=None)


def _midnight(day: str | date) -> datetime:
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime.combine(day, time(), UTC)


def _date(col, op: str, value, now: datetime):
    one_day = timedelta(days=1)
    match op:
        case "is_empty":
            return col.is_(None)
        case "is_not_empty":
            return col.is_not(None)
        case "before":
            return col < _moment(col, _midnight(value))
        case "after":
            return col >= _moment(col, _midnight(value) + one_day)
        case "between":
            low, high = value
            return sa.and_(col >= _moment(col, _midnight(low)),
                           col < _moment(col, _midnight(high) + one_day))
        case "less_than_days_ago":
            return col >= _cutoff(col, now, value)
        case "more_than_days_ago":
            return _or_empty(col, col < _cutoff(col, now, value))
    raise AssertionError(op)


def _cutoff(col, now: datetime, days: int):
    cutoff = now - timedelta(days=days)
    if isinstance(col.type, sa.Date) and not isinstance(col.type, sa.DateTime):
        return cutoff.date()
    return _moment(col, cutoff)


def _multi(field: FilterField, member_id, op: str, values):
    rel = field.related

    def exists(*conds):
        return sa.exists(sa.select(sa.literal(1)).select_from(rel.selectable)
                         .where(rel.owner == member_id, *conds))

    if op == "is_empty":
        return sa.not_(exists())
    if op == "is_not_empty":
        return exists()
    folded = fold(rel.value, *values)
    lower = [v.lower() for v in values]
    match op:
        case "has_any":
            return exists(folded.in_(lower))
        case "has_none":
            return sa.not_(exists(folded.in_(lower)))
        case "has_all":
            return sa.and_(*(exists(fold(rel.value, v) == v.lower()) for v in values))
    raise AssertionError(op)
