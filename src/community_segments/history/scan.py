"""One pass over the members for many segments: each segment's members as a roaring bitmap.

The database computes, per member, a bit mask of the distinct conditions ("atoms") it
meets, the same atoms the overview counts with; each segment is a boolean function of
the mask, decided once per distinct mask in Python. Rows are streamed in batches and
folded into one bitmap per segment, so memory is the bitmaps (about 1 bit a member in
the worst case) plus one batch, never a list of every member.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import sqlalchemy as sa
from pyroaring import BitMap

from ..members import MemberView
from ..query import overview
from ..query.compiler import Compiler
from ..query.references import Resolver
from ..query.tree import Node
from ..registry import FieldRegistry

BATCH = 10_000


def scan(connection: sa.Connection, registry: FieldRegistry, view: MemberView,
         trees: Mapping[int, Node], now: datetime, batch: int = BATCH,
         resolve: Resolver | None = None) -> dict[int, BitMap]:
    """The members of every tree (keyed like ``trees``), in as few passes as the masks allow.
    ``resolve`` gives the criteria of segments the trees refer to (inlined, as in counts)."""
    keys = list(trees)
    atoms = overview.Atoms(registry, resolve)
    formulas = [atoms.formula(trees[key]) for key in keys]
    found: dict[int, BitMap] = {}
    for numbers in overview.batches(formulas, overview.MAX_BITS):
        used = sorted(set().union(*(overview.atoms_of(formulas[n]) for n in numbers)))
        if len(used) > overview.MAX_BITS:  # one tree too wide for a mask: its own condition
            condition = Compiler(registry, view.id, now, resolve).compile(trees[keys[numbers[0]]])
            query = _select(view, view_from(view), [condition])
            local: list[overview.Formula] = [overview.Test(0)]
        else:
            chosen = list(atoms.index)
            mask_query = overview.MaskQuery(registry, view_from(view), view.id, view.base, now,
                                            connection.dialect.name)
            joined, flags = mask_query.flags([chosen[bit] for bit in used])
            query = _select(view, joined, flags)
            position = {bit: i for i, bit in enumerate(used)}
            local = [overview.remap(formulas[n], position.__getitem__) for n in numbers]
        bitmaps = _stream(connection, query, local, batch)
        found.update({keys[n]: bitmap for n, bitmap in zip(numbers, bitmaps, strict=True)})
    return found


def view_from(view: MemberView):
    model = view.model
    return model.__table__ if hasattr(model, "__table__") else model


def _select(view: MemberView, joined, flags: Sequence[sa.ColumnElement[bool]]) -> sa.Select:
    """``SELECT member id, mask``: bit ``i`` set where ``flags[i]`` holds (NULL counts false)."""
    terms = [sa.case((flag, sa.literal_column(str(1 << i), sa.BigInteger)),
                     else_=sa.literal_column("0", sa.BigInteger))
             for i, flag in enumerate(flags)]
    mask = sum(terms[1:], terms[0]) if terms else sa.literal_column("0", sa.BigInteger)
    query = sa.select(view.id.label("id"), mask.label("mask")).select_from(joined)
    return query if view.base is None else query.where(view.base)


def _stream(connection: sa.Connection, query: sa.Select, formulas: Sequence[overview.Formula],
            batch: int) -> list[BitMap]:
    if connection.dialect.name == "postgresql":
        # JIT-compiling this wide expression costs more than it saves (as for the overview).
        connection.execute(sa.text("SET LOCAL jit = off"))
    bitmaps = [BitMap() for _ in formulas]
    segments_of: dict = {}  # mask -> the formulas it satisfies, decided once per mask
    result = connection.execute(query.execution_options(stream_results=True, yield_per=batch))
    for rows in result.partitions(batch):
        pending: dict[int, list[int]] = {}
        for member_id, mask in rows:
            matched = segments_of.get(mask)
            if matched is None:
                value = int(mask)
                matched = segments_of[mask] = tuple(
                    n for n, formula in enumerate(formulas) if overview.evaluate(formula, value))
            for n in matched:
                pending.setdefault(n, []).append(member_id)
        for n, ids in pending.items():
            bitmaps[n].update(ids)
    for bitmap in bitmaps:
        bitmap.run_optimize()
    return bitmaps
