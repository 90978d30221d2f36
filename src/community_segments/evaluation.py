"""Evaluating criteria: counts, pages of members, streams, overview counts, overlap.

Every function builds SQL; members are never loaded into Python to be filtered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from . import cursor, timeouts
from .errors import ValidationError
from .inputs import check_page, check_sort
from .members import MemberView
from .query import overview
from .query.compiler import Compiler
from .query.criteria import Criteria
from .query.references import Resolver
from .query.tree import Node
from .registry import FieldRegistry

PER_SCAN = 1000  # conditions (and segments) in one scan: under every database's column limit

# Parsed criteria (or, for the engine's own tests and benchmarks, a bare tree)
Parsed = Criteria | Node


def tree_of(criteria: Parsed) -> Node:
    return criteria.tree if isinstance(criteria, Criteria) else criteria


@dataclass(frozen=True)
class Page:
    """One page of members. ``total`` is None when the count was not asked for;
    ``next_after`` and ``previous_before`` are cursors (for ``after=``, ``before=``) to
    the pages around it, None where there is none (``previous_before`` on page 1)."""

    items: list[dict]
    total: int | None
    page: int
    per_page: int
    sort: str
    direction: str
    next_after: str | None = None
    previous_before: str | None = None

    @property
    def pages(self) -> int | None:
        return None if self.total is None else max(1, -(-self.total // self.per_page))


@dataclass
class Evaluator:
    """Counts and lists members for criteria trees, in one SQL query each."""

    session: sa.orm.Session
    registry: FieldRegistry
    view: MemberView
    now: datetime | None = None
    timeout_ms: int | None = None
    resolve: Resolver | None = None  # segment id -> criteria, for references

    def reset(self) -> None:
        """End the evaluation's transaction after a failed query (PostgreSQL refuses any
        other statement in an aborted one). The session is the evaluation's own."""
        self.session.rollback()

    def _execute(self, query, what: str = "the segment query"):
        return timeouts.execute(self.session, query, self.timeout_ms, what)

    def condition(self, criteria: Parsed) -> sa.ColumnElement[bool]:
        compiler = Compiler(self.registry, self.view.id, self.now or datetime.now(UTC),
                            self.resolve)
        return self.view.where_member(compiler.compile(tree_of(criteria)))

    def _from(self):
        return self.view.model.__table__ if hasattr(self.view.model, "__table__") else self.view.model

    def count(self, criteria: Parsed) -> int:
        query = sa.select(sa.func.count()).select_from(self._from()).where(self.condition(criteria))
        return self._tuned(lambda: self._execute(query).scalar_one())

    def total(self) -> int:
        query = sa.select(sa.func.count()).select_from(self._from())
        if self.view.base is not None:
            query = query.where(self.view.base)
        return self._execute(query).scalar_one()

    def _select(self, columns: Sequence[str] | None = None):
        names = columns or list(self.view.columns)
        return sa.select(*(self.view.columns[n].label(n) for n in names)).select_from(self._from())

    def members(self, criteria: Parsed, page: int = 1, per_page: int = 50,
                sort: str = "username", direction: str = "asc", after: str | None = None,
                before: str | None = None, count: bool = True) -> Page:
        """A page of members ordered by ``sort``, then id, both in ``direction``; the
        members without a value last, by id in ``direction`` too.

        ``after``/``before``: a page's ``next_after``/``previous_before``; the page is
        then read by keyset (rows past that key), never by OFFSET, and ``page`` only
        numbers it. ``count=False`` leaves ``total`` None (the count is the slow part).
        """
        check_sort(sort, direction, self.view.sortable or ())
        check_page(page, per_page)
        column = self.view.columns[sort]
        if after and before:
            raise ValidationError({"after": ["give after or before, not both"]})
        key = self._key(after or before, "after" if after else "before", sort, direction)
        forward = before is None
        query = self._select().where(self.condition(criteria))
        if key is None and page > 1:  # a numbered page without a cursor: one query, OFFSET
            query = query.order_by(column.is_(None), *self._order(direction == "asc", column,
                                                                  self.view.id))
            query = query.offset((page - 1) * per_page).limit(per_page + 1)
            rows = self._tuned(lambda: self._rows(query))
        else:
            rows = self._tuned(lambda: self._read(query, column, direction, key, forward,
                                                  per_page + 1))
        more, items = len(rows) > per_page, rows[:per_page]
        if not forward:
            items.reverse()
        ends = [cursor.Key(sort, direction, items[i][sort], items[i]["id"]).encode()
                for i in (0, -1)] if items else [None, None]
        has_next, has_previous = (more, key is not None or page > 1) if forward else (True, more)
        if not forward and not more:
            page = 1  # nothing before it: the first page, whatever the link numbered it
        total = self.count(criteria) if count else None
        return Page(items, total, page, per_page, sort, direction,
                    ends[1] if has_next else None, ends[0] if has_previous else None)

    def _key(self, text: str | None, name: str, sort: str, direction: str) -> cursor.Key | None:
        if text is None:
            return None
        try:
            python_type = self.view.columns[sort].type.python_type
        except NotImplementedError:
            python_type = None
        return cursor.decode(text, sort, direction, python_type, name)

    def _order(self, up: bool, *columns) -> list:
        return [c.asc() if up else c.desc() for c in columns]

    def _rows(self, query) -> list[dict]:
        return [dict(row._mapping) for row in self._execute(query)]

    def _read(self, query, column, direction: str, key: cursor.Key | None, forward: bool,
              limit: int) -> list[dict]:
        """Up to ``limit`` rows of ``query`` past ``key`` in the page ordering: the members
        with a value, by it then id, then the empty ones by id, all in ``direction``;
        reading backward (``forward`` False), the same from the other end.

        Each of the two parts is its own query, so that each can walk an index on the sort
        column (one ORDER BY with empty values last cannot, on any of the databases: each
        puts NULL at one end of its indexes); the second runs only when the first falls
        short. Comparisons with NULL are unknown, hence the parts."""
        up = (direction == "asc") == forward
        ident = self.view.id
        parts = [(False, column.is_not(None), self._order(up, column, ident)),
                 (True, column.is_(None), self._order(up, ident))]
        rows: list[dict] = []
        pending = key  # until the part that holds the key
        for empty, where, order in parts if forward else parts[::-1]:
            part = query.where(where)
            if pending is not None:
                if (pending.value is None) != empty:
                    continue  # the key lies in the other part, further on
                part, pending = part.where(self._past(column, pending, up)), None
            rows += self._rows(part.order_by(*order).limit(limit - len(rows)))
            if len(rows) == limit:
                break
        return rows

    def _past(self, column, key: cursor.Key, up: bool) -> sa.ColumnElement[bool]:
        """Rows after ``key`` within its part, read ascending (``up``) or descending; the
        redundant bound on the value lets the database start its index walk at the key."""
        ident = self.view.id
        later = ident > key.id if up else ident < key.id
        if key.value is None:
            return later
        value = sa.literal(key.value, column.type)  # bound, as the column binds (True too)
        if up:
            return sa.and_(column >= value, sa.or_(column > value, later))
        return sa.and_(column <= value, sa.or_(column < value, later))

    def counts(self, criteria: Sequence[Parsed]) -> list[int]:
        """Members matching each criteria; each distinct condition is evaluated once."""
        return self.census(criteria)[1] if criteria else []

    def census(self, criteria: Sequence[Parsed]) -> tuple[int, list[int]]:
        """The member total and the members matching each criteria: the overview's numbers.

        One scan computes every distinct condition once per member as a 0/1 column, and
        counts each segment over those columns and every member (the total) in the same
        scan (faster than folding counts per distinct mask in Python at every size
        measured, docs/BENCHMARKS.md). Past PER_SCAN conditions or segments (a row's
        column limit), another scan.
        """
        formulas, atoms = self._formulas(criteria)
        if not formulas:
            return self.total(), []
        found, total = [0] * len(formulas), None
        deadline = timeouts.Deadline(self.timeout_ms)
        mask_query = self._mask_query()
        for numbers in overview.batches(formulas, PER_SCAN):
            for start in range(0, len(numbers), PER_SCAN):
                chunk = numbers[start:start + PER_SCAN]
                used = sorted(set().union(*(overview.atoms_of(formulas[n]) for n in chunk)))
                position = {bit: i for i, bit in enumerate(used)}
                local = [overview.remap(formulas[n], position.__getitem__) for n in chunk]
                query = mask_query.select_counts([atoms[bit] for bit in used], local,
                                                 total=total is None)
                row = self._wide(query, deadline)[0]
                if total is None:
                    *row, total = row
                for n, count in zip(chunk, row, strict=True):
                    found[n] = int(count or 0)
        return int(total or 0), found

    def overlap(self, criteria: Sequence[Parsed]) -> list[list[int]]:
        """``matrix[i][j]``: members in both ``criteria[i]`` and ``[j]`` (diagonal: sizes).

        One scan groups the members by the set of segments they are in; every pair is
        then summed over those sets (:func:`overview.overlap_of_sets`), so the work grows
        with members and pairs, never with pairs x members.
        """
        formulas, atoms = self._formulas(criteria)
        if not formulas:
            return []
        deadline = timeouts.Deadline(self.timeout_ms, "the overlap")
        rows = self._wide(self._mask_query().select_sets(atoms, formulas), deadline)
        return overview.overlap_of_sets(rows, len(formulas), deadline.check)

    def _formulas(self, criteria: Sequence[Parsed]):
        """Each tree as a formula over the distinct atoms of them all, and those atoms."""
        atoms = overview.Atoms(self.registry, self.resolve)
        formulas = [atoms.formula(tree_of(c)) for c in criteria]
        return formulas, list(atoms.index)

    def _wide(self, query, deadline: timeouts.Deadline):
        """Run a one-pass query (many conditions in one scan) within ``deadline``.

        On PostgreSQL it may also run in parallel whatever its rows' width: the planner
        charges each row a parallel worker hands up (``parallel_tuple_cost``) as if it
        were the work, and so ran the 96-segment overview at 100k members serially in
        0.90 s, against 0.56 s with a worker (docs/BENCHMARKS.md). Computing the
        conditions of each row is the work; handing the row up is cheap.
        """
        return self._tuned(lambda: timeouts.execute(
            self.session, query, deadline.remaining_ms(), deadline.what).all(),
            parallel_tuple_cost=0)

    def _tuned(self, run, **settings: float):
        """``run()`` (which fetches every row) with PostgreSQL's JIT off, and ``settings``
        set, for its transaction only.

        JIT-compiling costs more than it saves on these queries: ~10% of a wide overview
        scan, 0.56 of 2.65 s of a detail page (count and page of 'Champions') at 1M
        members. On failure the transaction ends, and the local settings with it.
        """
        if self.session.get_bind().dialect.name != "postgresql":
            return run()
        before = self._set({"jit": "off", **settings})
        try:
            result = run()
        except sa.exc.DBAPIError:
            raise  # the transaction is aborted: its rollback ends the local settings
        except Exception:
            self._set(before)  # still usable: leave it as it was
            raise
        self._set(before)
        return result

    def _set(self, settings: Mapping[str, object]) -> dict[str, str]:
        """PostgreSQL settings for this transaction, all in one round trip (each costs a
        wait for the interpreter lock when many requests run at once); returns the
        values they had, read in the same statement before it sets them."""
        names = list(settings)
        row = self.session.execute(sa.select(
            *(sa.func.current_setting(name) for name in names),
            *(sa.func.set_config(name, str(value), True) for name, value in settings.items()),
        )).one()
        return dict(zip(names, row, strict=False))

    def _mask_query(self) -> overview.MaskQuery:
        return overview.MaskQuery(self.registry, self._from(), self.view.id, self.view.base,
                                  self.now or datetime.now(UTC),
                                  self.session.get_bind().dialect.name)

    def stream(self, criteria: Parsed, batch_size: int = 1000,
               columns: Sequence[str] | None = None) -> Iterator[dict]:
        """Every matching member in id order, fetched in keyset batches (bounded memory)."""
        condition = self.condition(criteria)
        names = list(columns or self.view.columns)
        if "id" not in names:
            names.insert(0, "id")
        last = None
        while True:
            query = self._select(names).where(condition)
            if last is not None:
                query = query.where(self.view.id > last)
            rows = self._execute(query.order_by(self.view.id).limit(batch_size)).all()
            for row in rows:
                yield dict(row._mapping)
            if len(rows) < batch_size:
                return
            last = rows[-1].id

