"""Compile a criteria tree into one SQLAlchemy boolean expression over the member model.

Pure: no Flask, no session. Values reach SQL only as bound parameters. What each
operator means comes from the operator table (:mod:`.operators`); this module only
decides what a rule's SQL is built on (a column, a looked-up name, related rows) and
applies the table's negation twins and ``each`` decompositions. Multi-valued fields
become (NOT) EXISTS subqueries, which databases plan as semi- and anti-joins (never
``NOT IN (subquery)``: see DESIGN.md's measured traps).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from ..errors import CriteriaError
from ..fields import FieldType, FilterField, Lookup
from ..registry import FieldRegistry
from .operators import Operator, Subject, operator, values_of
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
            return self._segment(field, node, path)
        return self.rule(field, node)

    def _segment(self, field: FilterField, rule: Rule, path: str) -> sa.ColumnElement[bool]:
        """In any of the referenced segments (their criteria inlined); the twin: in none."""
        inside = sa.or_(*self.inliner.inline(rule, path, self.compile))
        if operator(field.type, rule.op).twin is None:
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
        """One rule on its own (``rule.field`` is ``field``; the value is already clean)."""
        return self._op(field, rule.op, rule.value)

    def _op(self, field: FilterField, op: str, value) -> sa.ColumnElement[bool]:
        entry = operator(field.type, op)
        if entry.twin is not None:
            return _negation(self._empty_guard(field), self._op(field, entry.twin, value))
        if entry.each is not None:
            return sa.and_(*(self._op(field, entry.each, (v,)) for v in values_of(value)))
        if field.lookup is not None:
            return _looked_up(field.lookup, self.now, entry, value)
        return entry.build(self._subject(field), value)

    def _subject(self, field: FilterField) -> Subject:
        rel, member_id = field.related, self.member_id
        if field.type is not FieldType.MULTI or rel is None:  # rel: FilterField checks it
            return Subject(field.column, self.now)

        def exists(*conditions):
            return sa.exists(sa.select(sa.literal(1)).select_from(rel.selectable)
                             .where(rel.owner == member_id, *conditions))
        return Subject(rel.value, self.now, exists)

    def _empty_guard(self, field: FilterField) -> sa.ColumnElement[bool] | None:
        """What the negation of a positive condition must add: the members it leaves
        NULL (an empty value). EXISTS is never NULL, so multi fields need none."""
        column = field.lookup.key if field.lookup is not None else field.column
        if field.type is FieldType.MULTI or column is None:
            return None
        return column.is_(None)


def _negation(guard, positive) -> sa.ColumnElement[bool]:
    """True where ``positive`` is not, NULL included (negatives match empty values)."""
    negated = sa.not_(positive)
    if guard is None:
        return negated
    if negated.compare(guard):  # "NOT (x IS NOT NULL)" is the guard itself
        return guard
    return sa.or_(guard, negated)


def _looked_up(lookup: Lookup, now: datetime, entry: Operator, value) -> sa.ColumnElement[bool]:
    """A positive condition on a looked-up name, as a condition on the member's key.

    A member without a key (or with a dangling one) has an empty name, which no
    positive operator matches; its negation (``key IS NULL OR key NOT IN (...)``)
    matches it. NOT IN (subquery) is one of DESIGN.md's traps on big tables; here the
    subquery reads a few rows of a small table, hashed once, and returns primary keys,
    which are never NULL (a NULL would make NOT IN match nobody).
    """
    names = sa.select(lookup.id).where(entry.build(Subject(lookup.name, now), value))
    return lookup.key.in_(names)
