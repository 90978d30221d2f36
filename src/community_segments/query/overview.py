"""Many criteria trees at once: every distinct condition evaluated once, in one pass.

Each tree is decomposed into atomic conditions ("atoms"); equal atoms are shared, and a
negative operator is the negation of its positive twin ("Country is not US" is "not
(Country is US)", which holds for an empty country too, as the compiler has it). Each
tree is then a formula over the atoms. One scan computes every atom once per member as a
0/1 column of a fenced derived table and counts each formula over those columns
(:meth:`MaskQuery.select_counts`); the overlap groups the members of that scan by the set
of formulas they match (:meth:`MaskQuery.select_sets`, :func:`overlap_of_sets`). The
membership refresh streams each member's bit mask of atoms (:meth:`MaskQuery.select`).

Multi-valued fields are joined as derived tables (one per atom, or one grouped per
member for a field with many atoms), or on SQLite probed once per member and field:
never as a correlated ``EXISTS`` in an aggregate, which PostgreSQL runs as a sub-plan
per member (DESIGN.md's measured traps).

Pure: builds SQL and folds counts; running the query is the caller's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import True_

from ..errors import CriteriaError
from ..fields import FieldType, FilterField, Related
from ..registry import FieldRegistry
from .compiler import Compiler
from .operators import TABLE, Subject, operator, values_of
from .references import Inliner, Resolver
from .tree import Group, Node, Rule

MAX_BITS = 60  # atoms per pass: masks are 64-bit integers on every database

# From this many atoms on one multi field, PostgreSQL and MariaDB read its rows once,
# grouped per member, instead of once per atom (measured: docs/BENCHMARKS.md)
GROUP_MULTI_ATOMS = 3


@dataclass(frozen=True)
class Atom:
    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Test:
    """A leaf of a formula: atom number ``bit`` is ``truth``."""

    bit: int
    truth: bool = True


@dataclass(frozen=True)
class Junction:
    match: str  # "all" | "any"
    parts: tuple[Formula, ...]


Formula = Test | Junction


def evaluate(formula: Formula, mask: int) -> bool:
    if isinstance(formula, Test):
        return bool(mask >> formula.bit & 1) is formula.truth
    results = (evaluate(part, mask) for part in formula.parts)
    return all(results) if formula.match == "all" else any(results)


def bits_of(formula: Formula) -> int:
    if isinstance(formula, Test):
        return 1 << formula.bit
    mask = 0
    for part in formula.parts:
        mask |= bits_of(part)
    return mask


class Atoms:
    """The distinct atoms of a set of trees, numbered in order of appearance."""

    def __init__(self, registry: FieldRegistry, resolve: Resolver | None = None):
        self.registry = registry
        self.index: dict[Atom, int] = {}
        self.inliner = Inliner(resolve)  # references contribute the atoms they refer to

    def formula(self, node: Node, path: str = "") -> Formula:
        if isinstance(node, Group):
            parts = tuple(self.formula(child, f"{path}.rules[{i}]" if path else f"rules[{i}]")
                          for i, child in enumerate(node.rules))
            return Junction(node.match if parts else "all", parts)
        field = self.registry.get(node.field)
        if field is None:
            raise CriteriaError({f"{path}.field" if path else "field":
                                 [f"unknown field {node.field!r}"]})
        if field.type is FieldType.SEGMENT:  # shared conditions stay one atom each
            inside = Junction("any", tuple(self.inliner.inline(node, path, self.formula)))
            return inside if operator(field.type, node.op).twin is None else _negated(inside)
        return self._rule(field, node)

    def _rule(self, field: FilterField, rule: Rule) -> Formula:
        return self._op(field, rule.op, rule.value)

    def _op(self, field: FilterField, op: str, value) -> Formula:
        """The table's twins and ``each`` decompositions make atoms of positives only."""
        entry = operator(field.type, op)
        if entry.twin is not None:
            return _negated(self._op(field, entry.twin, value))
        if entry.each is not None:
            return Junction("all", tuple(self._op(field, entry.each, (v,))
                                         for v in values_of(value)))
        return self._test(field, op, value)

    def _test(self, field: FilterField, op: str, value, truth: bool = True) -> Test:
        atom = Atom(field.key, op, _canonical(field, value))
        return Test(self.index.setdefault(atom, len(self.index)), truth)

    def __len__(self) -> int:
        return len(self.index)


def _negated(formula: Formula) -> Formula:
    if isinstance(formula, Test):
        return Test(formula.bit, not formula.truth)
    flipped = "any" if formula.match == "all" else "all"  # De Morgan
    return Junction(flipped, tuple(_negated(part) for part in formula.parts))


def _canonical(field: FilterField, value):
    if not TABLE[field.type].caseless or value is None:
        return value
    if isinstance(value, tuple):
        return tuple(sorted({v.lower() for v in value}))
    return value.lower()


@dataclass
class MaskQuery:
    """The one-pass query: ``SELECT mask, count(*) ... GROUP BY mask`` for given atoms.

    Multi atoms: on SQLite one correlated subquery per field adds that field's bits (an
    index probe per member, ~25% faster there than joins); elsewhere each multi atom is
    a ``SELECT DISTINCT owner`` derived table, left-joined (hash joins on PostgreSQL,
    ~35% faster there than one aggregate per field; never a per-member sub-plan).
    """

    registry: FieldRegistry
    members: sa.FromClause
    member_id: sa.ColumnElement
    base: sa.ColumnElement[bool] | None
    now: datetime
    dialect: str = "default"

    def select(self, atoms: Sequence[Atom]) -> sa.Select:
        if self.dialect != "sqlite":
            return self.select_flags(*self.flags(atoms))
        multi = _by_multi_field(self.registry, atoms)
        bits = {atom: bit for bit, atom in enumerate(atoms)}
        terms = [_bit(self._scalar(atom), bits[atom]) for atom in atoms if atom.field not in multi]
        terms += [_packed(self.registry[key], [(bits[a], a) for a in field_atoms],
                          self.member_id, self.now)
                  for key, field_atoms in multi.items()]
        return self._grouped(self.members, terms)

    def select_flags(self, joined, flags: Sequence[sa.ColumnElement[bool]]) -> sa.Select:
        """Members counted per mask, bit ``i`` set where ``flags[i]`` holds."""
        return self._grouped(joined, [_bit(flag, i) for i, flag in enumerate(flags)])

    def _grouped(self, joined, terms) -> sa.Select:
        if len(terms) > 62:
            raise ValueError(f"{len(terms)} terms exceed a 64-bit mask")
        mask = sum(terms[1:], terms[0]) if terms else _number(0)
        query = sa.select(mask.label("mask")).select_from(joined)
        if self.base is not None:
            query = query.where(self.base)
        inner = query.subquery("masks")
        return sa.select(inner.c.mask, sa.func.count()).group_by(inner.c.mask)

    def flag_table(self, atoms: Sequence[Atom]) -> tuple[sa.Subquery, list[sa.ColumnElement[bool]]]:
        """Every atom computed once per member, as a fenced derived table of 0/1 columns.

        Returns the table and, per atom, a strict (never NULL) condition on its columns.
        ``OFFSET 0`` keeps each database from merging the table into the query over it,
        which would copy every atom's SQL into each aggregate that reads it (PostgreSQL's
        sub-query pull-up, SQLite's flattening, MariaDB's derived_merge).
        """
        if self.dialect == "sqlite":
            joined, columns, tests = self._sqlite_flags(atoms)
        else:
            joined, flags = self.flags(atoms)
            columns = [sa.case((flag, _number(1)), else_=_number(0)).label(f"a{i}")
                       for i, flag in enumerate(flags)]
            tests = [(f"a{i}", None) for i in range(len(flags))]
        query = sa.select(*columns).select_from(joined) if columns else \
            sa.select(_number(0).label("a")).select_from(joined)
        if self.base is not None:
            query = query.where(self.base)
        table = query.offset(0).subquery("flags")
        return table, [_flag_test(table.c[name], bit) for name, bit in tests]

    def _sqlite_flags(self, atoms: Sequence[Atom]):
        """Scalar atoms as 0/1 columns; each multi field as one packed column of its bits
        (one correlated index probe per member and field, as :meth:`select` does)."""
        columns: list = []
        tests: list[tuple[str, int | None] | None] = [None] * len(atoms)
        position = {atom: i for i, atom in enumerate(atoms)}
        multi = _by_multi_field(self.registry, atoms)
        for i, atom in enumerate(atoms):
            if atom.field not in multi:
                columns.append(sa.case((self._scalar(atom), _number(1)),
                                       else_=_number(0)).label(f"a{i}"))
                tests[i] = (f"a{i}", None)
        for number, (key, field_atoms) in enumerate(multi.items()):
            for start in range(0, len(field_atoms), MAX_BITS):  # a mask holds 60 bits
                chunk = field_atoms[start:start + MAX_BITS]
                name = f"m{number}_{start}"
                columns.append(_packed(self.registry[key], list(enumerate(chunk)),
                                       self.member_id, self.now).label(name))
                for bit, atom in enumerate(chunk):
                    tests[position[atom]] = (name, bit)
        return self.members, columns, tests

    def select_counts(self, atoms: Sequence[Atom], formulas: Sequence[Formula],
                      total: bool = False) -> sa.Select:
        """One row: members matching each formula, counted in SQL over one scan, and with
        ``total`` every member last."""
        table, tests = self.flag_table(atoms)
        counts = [self._count_where(as_sql(f, tests, strict=True)) for f in formulas]
        if total:
            counts.append(sa.func.count())
        return sa.select(*counts).select_from(table) if counts else sa.select(_number(0))

    def select_sets(self, atoms: Sequence[Atom], formulas: Sequence[Formula]) -> sa.Select:
        """Members counted per distinct set of formulas they match: rows ``(m0, ..., n)``,
        where bit ``b`` of mask ``mk`` stands for formula ``60 * k + b``."""
        table, tests = self.flag_table(atoms)
        masks = []
        for k, start in enumerate(range(0, len(formulas), MAX_BITS)):
            terms = [_bit(as_sql(f, tests, strict=True), bit)
                     for bit, f in enumerate(formulas[start:start + MAX_BITS])]
            masks.append(sum(terms[1:], terms[0]).label(f"m{k}"))
        inner = sa.select(*masks).select_from(table).offset(0).subquery("member_sets")
        columns = list(inner.c)
        return sa.select(*columns, sa.func.count().label("n")).group_by(*columns)

    def _count_where(self, condition: sa.ColumnElement[bool]):
        if self.dialect == "postgresql":
            return sa.func.count().filter(condition)
        return sa.func.coalesce(sa.func.sum(sa.case((condition, _number(1)), else_=_number(0))),
                                _number(0))

    def flags(self, atoms: Sequence[Atom]):
        """The FROM clause (members + derived tables of multi atoms) and a flag per atom.

        A multi field with few atoms gets a ``SELECT DISTINCT owner`` derived table per
        atom (hash joins, ~35% faster than an aggregate for one or two); one with more
        gets a single ``GROUP BY owner`` table with a 0/1 column per atom, so its rows
        are read once however many atoms it has (96 segments at 100k: 1.4x -> see
        docs/BENCHMARKS.md).
        """
        joined = self.members
        flags: list[Any] = [None] * len(atoms)
        grouped: dict[str, list[int]] = {}
        for number, atom in enumerate(atoms):
            if self.registry[atom.field].type is FieldType.MULTI:
                grouped.setdefault(atom.field, []).append(number)
            else:
                flags[number] = self._scalar(atom)
        for key, numbers in grouped.items():
            field = self.registry[key]
            if len(numbers) >= GROUP_MULTI_ATOMS:
                table = _member_flags(field, [(n, atoms[n]) for n in numbers], f"multi_{key}",
                                      self.now)
                joined = joined.outerjoin(table, table.c.member_id == self.member_id)
                for n in numbers:
                    flags[n] = table.c[f"a{n}"] == _number(1)
                continue
            for n in numbers:
                table = _members_with(field, atoms[n], f"multi_{n}", self.now)
                joined = joined.outerjoin(table, table.c.member_id == self.member_id)
                flags[n] = table.c.member_id.is_not(None)
        return joined, flags

    def _scalar(self, atom: Atom) -> sa.ColumnElement[bool]:
        compiler = Compiler(self.registry, self.member_id, self.now)
        return compiler.rule(self.registry[atom.field], Rule(atom.field, atom.op, atom.value))


def _by_multi_field(registry: FieldRegistry, atoms: Iterable[Atom]) -> dict[str, list[Atom]]:
    """SQLite's multi atoms packed per field, for fields with two or more atoms: one
    probe then gives them all. A lone atom stays an ``EXISTS``, which stops at the first
    row that matches (the packed probe reads all of the member's rows): ~20% of a
    6-segment overview at 100k members."""
    found: dict[str, list[Atom]] = {}
    for atom in atoms:
        if registry[atom.field].type is FieldType.MULTI:
            found.setdefault(atom.field, []).append(atom)
    return {key: field_atoms for key, field_atoms in found.items() if len(field_atoms) > 1}


def _related(field: FilterField) -> Related:
    if field.related is None:
        raise TypeError(f"field {field.key!r} has no related rows")
    return field.related


def _rows_meeting(*conditions) -> sa.ColumnElement[bool]:
    """A multi operator's ``exists(...)`` taken apart: what one related row must meet."""
    if not conditions:
        return sa.true()
    return conditions[0] if len(conditions) == 1 else sa.and_(*conditions)


def _row_condition(field: FilterField, atom: Atom, now: datetime) -> sa.ColumnElement[bool] | None:
    """The table's SQL of a multi atom as a condition on one related row (None: any row)."""
    subject = Subject(_related(field).value, now, exists=_rows_meeting)
    condition = operator(field.type, atom.op).build(subject, atom.value)
    return None if isinstance(condition, True_) else condition


def _members_with(field: FilterField, atom: Atom, name: str, now: datetime):
    """``SELECT DISTINCT owner`` of the related rows that make ``atom`` true."""
    rel = _related(field)
    query = sa.select(rel.owner.label("member_id")).select_from(rel.selectable)
    condition = _row_condition(field, atom, now)
    if condition is not None:
        query = query.where(condition)
    return query.distinct().subquery(name)


def _member_flags(field: FilterField, atoms: list[tuple[int, Atom]], name: str, now: datetime):
    """``SELECT owner, max(0/1 of atom n) AS a<n> ... GROUP BY owner``: one row per member
    that has related rows, a column per atom."""
    rel = _related(field)
    columns = []
    for number, atom in atoms:
        condition = _row_condition(field, atom, now)
        value = _number(1) if condition is None else \
            sa.func.max(sa.case((condition, _number(1)), else_=_number(0)))
        columns.append(value.label(f"a{number}"))
    query = sa.select(rel.owner.label("member_id"), *columns).select_from(rel.selectable)
    return query.group_by(rel.owner).subquery(name)


def _packed(field: FilterField, bits: list[tuple[int, Atom]], member_id, now: datetime):
    """One correlated subquery giving the member's bits of every atom on ``field``."""
    rel = _related(field)
    parts = [_number(1 << bit) if condition is None else sa.func.max(_bit(condition, bit))
             for bit, condition in ((bit, _row_condition(field, atom, now)) for bit, atom in bits)]
    total = sum(parts[1:], parts[0])
    query = sa.select(total).select_from(rel.selectable).where(rel.owner == member_id).limit(1)
    return sa.func.coalesce(query.scalar_subquery(), _number(0))


def _flag_test(column, bit: int | None) -> sa.ColumnElement[bool]:
    """A 0/1 column is 1, or bit ``bit`` of a packed column is set."""
    if bit is None:
        return column == _number(1)
    return column.op("&")(_number(1 << bit)) != _number(0)


def _bit(condition, bit: int):
    return sa.case((condition, _number(1 << bit)), else_=_number(0))


def _number(value: int):
    """A constant inlined in the SQL: bound parameters repeated per row cost SQLite ~40%."""
    return sa.literal_column(str(value), sa.BigInteger)


# How many masks the folds handle between two looks at the clock
CHECK_EVERY = 64


def _never() -> None:
    pass


def _checked(items: Iterable, check: Callable[[], None]):
    """``items``, calling ``check`` (which raises past a deadline) every CHECK_EVERY items."""
    for number, item in enumerate(items):
        if number % CHECK_EVERY == 0:
            check()
        yield item


def fold_counts(formulas: Sequence[Formula], masks: Counter,
                check: Callable[[], None] = _never) -> list[int]:
    """Members matching each formula, from member counts per mask (of :meth:`MaskQuery.select`)."""
    found = []
    for f in formulas:
        projected = _project(f, masks, check)
        found.append(sum(n for projection, n in _checked(projected.items(), check)
                         if evaluate(f, projection)))
    return found


def overlap_of_sets(rows: Sequence[Sequence[int]], size: int,
                    check: Callable[[], None] = _never) -> list[list[int]]:
    """``matrix[i][j]`` from rows ``(m0, ..., n)`` of :meth:`MaskQuery.select_sets`.

    Bit-sliced: for each formula and each binary digit of the set sizes, one big integer
    with a bit per set; a pair is then the popcounts of a few ANDs, so the Python work is
    one step per (set, formula it holds) plus a C-speed AND per pair, never sets x pairs.
    """
    width = len(rows) // 8 + 1
    slices: dict[tuple[int, int], bytearray] = {}
    for r, (*masks, n) in enumerate(_checked(rows, check)):
        digits = [d for d in range(int(n).bit_length()) if int(n) >> d & 1]
        byte, bit = r >> 3, 1 << (r & 7)
        for k, mask in enumerate(masks):
            mask = int(mask)
            while mask:
                low = mask & -mask
                formula = MAX_BITS * k + low.bit_length() - 1
                for d in digits:
                    column = slices.get((formula, d))
                    if column is None:
                        column = slices[(formula, d)] = bytearray(width)
                    column[byte] |= bit
                mask ^= low
    columns: list[dict[int, int]] = [{} for _ in range(size)]
    for (formula, d), column in slices.items():
        columns[formula][d] = int.from_bytes(column, "little")
    matrix = [[0] * size for _ in range(size)]
    for i in range(size):
        check()
        for j in range(i, size):
            other = columns[j]
            matrix[i][j] = matrix[j][i] = sum((c & other.get(d, 0)).bit_count() << d
                                              for d, c in columns[i].items())
    return matrix


def _project(formula: Formula, masks: Counter, check: Callable[[], None] = _never) -> Counter:
    bits, projected = bits_of(formula), Counter[int]()
    for mask, n in _checked(masks.items(), check):
        projected[mask & bits] += n
    return projected


def remap(formula: Formula, bit: Callable[[int], int]) -> Formula:
    """The formula with its atom numbers translated (for a pass over a subset of atoms)."""
    if isinstance(formula, Test):
        return Test(bit(formula.bit), formula.truth)
    return Junction(formula.match, tuple(remap(part, bit) for part in formula.parts))


def atoms_of(formula: Formula) -> set[int]:
    if isinstance(formula, Test):
        return {formula.bit}
    return set().union(*(atoms_of(part) for part in formula.parts))


def as_sql(formula: Formula, flags: Sequence[sa.ColumnElement[bool]],
           strict: bool = False) -> sa.ColumnElement[bool]:
    """The formula as one SQL condition over the atom flags (``strict``: never NULL)."""
    if isinstance(formula, Test):
        flag = flags[formula.bit] if strict else sa.func.coalesce(flags[formula.bit], sa.false())
        return flag if formula.truth else sa.not_(flag)
    if not formula.parts:  # an empty "any" is the negation of an empty "all"
        return sa.true() if formula.match == "all" else sa.false()
    parts = [as_sql(part, flags, strict) for part in formula.parts]
    return sa.and_(*parts) if formula.match == "all" else sa.or_(*parts)


def batches(formulas: Sequence[Formula], limit: int) -> list[list[int]]:
    """Formula numbers grouped so that each group uses at most ``limit`` atoms."""
    groups: list[tuple[list[int], set[int]]] = []
    for number, formula in enumerate(formulas):
        used = atoms_of(formula)
        for members, union in groups:
            if len(union | used) <= limit:
                members.append(number)
                union |= used
                break
        else:
            groups.append(([number], set(used)))
    return [members for members, _ in groups]
