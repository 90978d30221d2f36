"""One member against criteria: why they are in (or not in) it, and which segments hold them.

The database decides, with the very conditions the segment's member list uses: each
node of the tree is compiled by the same :class:`Compiler` and selected as a 0/1 column
(``CASE WHEN condition THEN 1 ELSE 0 END``: a NULL condition is "not matched", as WHERE
reads it) from the member's row only. The verdict is the whole condition, member base
included, so an explanation can never disagree with the member list.

Pure: builds SQL and reads it through a connection or session given by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..fields import FieldType, FilterField
from ..registry import FieldRegistry
from .compiler import Compiler
from .tree import Group, Node, Rule

RELATIVE = ("less_than_days_ago", "more_than_days_ago")
MAX_COLUMNS = 500  # conditions per query: far below every database's column limit


@dataclass(frozen=True)
class Mark:
    """One node of an explained tree: a group (``children``) or a rule (``field``...)."""

    path: str
    matched: bool
    match: str | None = None  # groups: "all" | "any"
    children: tuple[Mark, ...] = ()
    field: str | None = None
    op: str | None = None
    value: Any = None
    member_value: Any = None  # scalar fields: the value; multi fields: a sorted list
    cutoff: datetime | date | None = None  # relative dates: the moment compared with

    @property
    def is_group(self) -> bool:
        return self.match is not None

    def rules(self):
        """Every rule mark below this node, depth first."""
        if not self.is_group:
            yield self
        for child in self.children:
            yield from child.rules()


@dataclass(frozen=True)
class Explanation:
    member_id: Any
    verdict: bool
    tree: Mark
    in_base: bool = True  # False: the member row is outside the member base (e.g. a guest)


@dataclass
class MemberReader:
    """Reads one member's row: explanations, field values, memberships, all by the DB.

    ``source`` is the member table (or selectable), ``member_id`` its id column,
    ``base`` who counts as a member at all (None: everyone).
    """

    registry: FieldRegistry
    source: Any
    member_id: sa.ColumnElement
    now: datetime
    base: sa.ColumnElement[bool] | None = None
    resolve: Any = None  # segment id -> criteria: references are inlined as for member lists
    _compiler: Compiler = field(init=False)

    def __post_init__(self):
        # the very compiler (and reference resolver) the member lists use
        self._compiler = Compiler(self.registry, self.member_id, self.now, self.resolve)

    def _whole(self, condition):
        return condition if self.base is None else sa.and_(self.base, condition)

    def _one_row(self, reader, columns: dict[str, Any], member) -> dict | None:
        query = (sa.select(*(sa.case((c.expression, 1), else_=0).label(k) if _is_condition(c)
                             else c.label(k) for k, c in columns.items()))
                 .select_from(self.source).where(self.member_id == member))
        row = reader.execute(query).first()
        return None if row is None else dict(row._mapping)

    def check(self, tree: Node) -> None:
        """Raises CriteriaError if ``tree`` cannot be compiled (an unknown field, a
        reference that does not resolve): what makes a segment broken."""
        self._compiler.compile(tree)

    # -- explain ---------------------------------------------------------------------

    def explain(self, reader, tree: Group, member) -> Explanation | None:
        """The tree with every node marked for ``member``; None if no such member row.

        Raises CriteriaError for a rule whose field is unknown (a broken segment).
        """
        conditions: dict[str, Any] = {}
        labels: dict[str, str] = {}
        self._collect(tree, "", conditions, labels)
        values = {f"v{n}": f.column for n, f in enumerate(self._scalar_fields(tree))}
        whole = {"verdict": _Condition(self._whole(self._compiler.compile(tree))),
                 "in_base": _Condition(sa.true() if self.base is None else self.base)}
        row = self._one_row(reader, {**whole, **conditions, **values}, member)
        if row is None:
            return None
        member_values = self._values(reader, tree, row, member)
        mark = self._mark(tree, "", {path: row[label] for path, label in labels.items()},
                          member_values)
        return Explanation(member, bool(row["verdict"]), mark, bool(row["in_base"]))

    def _collect(self, node: Node, path: str, out: dict, labels: dict) -> None:
        out[_label(path, labels)] = _Condition(self._compiler.compile(node, path))
        if isinstance(node, Group):
            for i, child in enumerate(node.rules):
                self._collect(child, _child(path, i), out, labels)

    def _scalar_fields(self, tree: Node) -> list[FilterField]:
        keys = dict.fromkeys(rule.field for rule in _rules(tree))
        fields = [self.registry.get(key) for key in keys]
        return [f for f in fields if f is not None and _has_column(f)]

    def _values(self, reader, tree: Node, row: dict, member) -> dict[str, Any]:
        found = {f.key: row[f"v{n}"] for n, f in enumerate(self._scalar_fields(tree))}
        for key in dict.fromkeys(rule.field for rule in _rules(tree)):
            f = self.registry.get(key)
            if f is not None and f.type is FieldType.MULTI:
                found[key] = self.items(reader, f, member)
        return found

    def items(self, reader, f: FilterField, member) -> list:
        """A multi field's values for one member, sorted."""
        rel = f.related
        assert rel is not None, f"multi field {f.key!r} without related rows"
        query = (sa.select(rel.value).select_from(rel.selectable)
                 .where(rel.owner == member).order_by(rel.value))
        return list(reader.execute(query).scalars())

    def _mark(self, node: Node, path: str, truth: dict, values: dict) -> Mark:
        matched = bool(truth[path])
        if isinstance(node, Group):
            children = tuple(self._mark(child, _child(path, i), truth, values)
                             for i, child in enumerate(node.rules))
            return Mark(path, matched, match=node.match, children=children)
        return Mark(path, matched, field=node.field, op=node.op, value=node.value,
                    member_value=values.get(node.field), cutoff=self.cutoff(node))

    def cutoff(self, rule: Rule) -> datetime | date | None:
        """The moment a relative-date rule compares with (``now - N days``)."""
        if rule.op not in RELATIVE:
            return None
        moment = self.now - timedelta(days=rule.value)
        column = getattr(self.registry.get(rule.field), "column", None)
        kind = getattr(column, "type", None)
        if isinstance(kind, sa.Date) and not isinstance(kind, sa.DateTime):
            return moment.date()
        return moment

    # -- field values and memberships -------------------------------------------------

    def profile(self, reader, member) -> dict[str, Any] | None:
        """Every field's value for ``member`` (multi: sorted lists); None if no such row."""
        scalars = [f for f in self.registry if _has_column(f)]
        row = self._one_row(reader, {f"v{n}": f.column for n, f in enumerate(scalars)}
                            or {"id": self.member_id}, member)
        if row is None:
            return None
        values = {f.key: row[f"v{n}"] for n, f in enumerate(scalars)}
        for f in self.registry:
            if f.type is FieldType.MULTI:
                values[f.key] = self.items(reader, f, member)
        return {f.key: values[f.key] for f in self.registry if f.key in values}

    def memberships(self, reader, trees: Sequence[Node], member) -> list[bool] | None:
        """For each tree, whether ``member`` is in it: one query (per 500 trees) reading
        the member's row only. None if no such member row."""
        found: list[bool] = []
        for start in range(0, max(len(trees), 1), MAX_COLUMNS):
            chunk = trees[start:start + MAX_COLUMNS]
            columns: dict[str, Any] = {f"s{n}": _Condition(self._whole(self._compiler.compile(tree)))
                                       for n, tree in enumerate(chunk)} or {"id": self.member_id}
            row = self._one_row(reader, columns, member)
            if row is None:
                return None
            found += [bool(row[f"s{n}"]) for n in range(len(chunk))]
        return found


def _has_column(f: FilterField) -> bool:
    """A field with a value in the member's row (not multi; not segment references,
    whose "value" is the memberships themselves)."""
    return f.type is not FieldType.MULTI and f.column is not None


@dataclass(frozen=True)
class _Condition:
    """Marks a boolean expression to be selected as 0/1 (a value column is selected as is)."""

    expression: Any


def _is_condition(column) -> bool:
    return isinstance(column, _Condition)


def _label(path: str, labels: dict[str, str]) -> str:
    """A short column label for a node path (paths are long; identifiers are not)."""
    return labels.setdefault(path, f"n{len(labels)}")


def _child(path: str, i: int) -> str:
    return f"{path}.rules[{i}]" if path else f"rules[{i}]"


def _rules(node: Node):
    if isinstance(node, Rule):
        yield node
        return
    for child in node.rules:
        yield from _rules(child)


def changed(new: sa.ColumnElement[bool], old: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """Members ``new`` holds and ``old`` does not: ``new AND NOT old``, where a NULL ``old``
    (an unknown rule value) counts as not holding, as WHERE reads it."""
    return sa.and_(new, sa.case((old, 1), else_=0) == 0)
