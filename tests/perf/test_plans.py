"""The compiled queries avoid the plans DESIGN.md measured as traps."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa
from bench.segments import SEGMENTS

from community_segments.query import overview


def _overview_query(service, kind="counts"):
    """The overview's counting scan (or the refresh's mask query) of the 24 segments."""
    evaluator = service.evaluator
    atoms = overview.Atoms(service.registry)
    formulas = [atoms.formula(service.parse(criteria)) for _, criteria in SEGMENTS]
    if kind == "masks":
        return evaluator._mask_query().select(list(atoms.index))
    return evaluator._mask_query().select_counts(list(atoms.index), formulas)


def _multi_atoms(service) -> Counter:
    atoms = overview.Atoms(service.registry)
    for _, criteria in SEGMENTS:
        atoms.formula(service.parse(criteria))
    return Counter(a.field for a in atoms.index if service.registry[a.field].type.value == "multi")


def _explain(service, query, prefix):
    sql = query.compile(service.session.get_bind(), compile_kwargs={"literal_binds": True})
    rows = service.session.execute(sa.text(f"{prefix} {sql}"))
    return "\n".join(str(row[-1]) for row in rows)


@pytest.mark.parametrize("kind", ["counts", "masks"])
def test_overview_query_has_no_correlated_subquery(service, kind):
    """SQLite probes each member's related rows by design (no sub-plans to fear there).
    Elsewhere a multi field with few atoms is a DISTINCT derived table per atom, one with
    many a single table grouped per member; both joined, never a sub-plan."""
    dialect = service.session.get_bind().dialect.name
    if dialect == "sqlite":
        pytest.skip("SQLite's overview uses a correlated subquery per multi field on purpose")
    sql = str(_overview_query(service, kind).compile(service.session.get_bind())).upper()
    assert "EXISTS" not in sql and " NOT IN (SELECT" not in sql
    per_field = _multi_atoms(service)
    grouped = [f for f, n in per_field.items() if n >= overview.GROUP_MULTI_ATOMS]
    assert grouped and len(grouped) < len(per_field)  # both forms are in this query
    assert sql.count("LEFT OUTER JOIN (SELECT DISTINCT") == sum(
        n for f, n in per_field.items() if f not in grouped)
    assert sql.count("GROUP BY") - (1 if kind == "masks" else 0) == len(grouped)
    if dialect == "postgresql":
        plan = _explain(service, _overview_query(service, kind), "EXPLAIN")
        assert "SubPlan" not in plan
        assert "Left Join" in plan or "Right Join" in plan


def test_sqlite_overview_probes_link_tables_by_member(service):
    if service.session.get_bind().dialect.name != "sqlite":
        pytest.skip("the correlated form is SQLite's only")
    plan = _explain(service, _overview_query(service, "masks"), "EXPLAIN QUERY PLAN")
    assert "CORRELATED SCALAR SUBQUERY" in plan
    links = [line for line in plan.splitlines() if "member_" in line]
    assert links and all(line.startswith("SEARCH") and "(member_id=?)" in line for line in links)


@pytest.mark.parametrize("rule", [
    {"field": "groups", "op": "has_none", "value": ["Newsletter"]},
    {"field": "badges", "op": "is_empty"},
])
def test_negative_multi_condition_is_an_anti_join_on_postgresql(service, rule):
    if service.session.get_bind().dialect.name != "postgresql":
        pytest.skip("plan shapes (Anti Join, SubPlan) are PostgreSQL's")
    tree = service.parse({"match": "all", "rules": [rule]})
    query = (sa.select(sa.func.count()).select_from(service.evaluator._from())
             .where(service.evaluator.condition(tree)))
    assert " NOT IN (SELECT" not in str(query.compile(service.session.get_bind())).upper()
    plan = _explain(service, query, "EXPLAIN")
    assert "Anti Join" in plan and "SubPlan" not in plan


def test_the_counting_scan_may_run_in_parallel_and_leaves_the_settings_as_they_were(service):
    """The planner may hand the wide scan to a parallel worker however wide its rows
    (parallel_tuple_cost 0 for that statement only, JIT off), and both are back after."""
    if service.session.get_bind().dialect.name != "postgresql":
        pytest.skip("parallel plans and JIT are PostgreSQL's")
    evaluator = service.evaluator
    trees = [service.parse(criteria) for _, criteria in SEGMENTS]
    seen = []

    def before(conn, cursor, statement, *args):
        if "FILTER (WHERE" in statement:
            raw = cursor.connection
            seen.append(tuple(raw.execute(f"SHOW {name}").fetchone()[0]
                              for name in ("parallel_tuple_cost", "jit")))
    engine = evaluator.session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        counts = evaluator.counts(trees)
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    assert seen == [("0", "off")]
    assert [evaluator.session.scalar(sa.text(f"SHOW {name}"))
            for name in ("parallel_tuple_cost", "jit")] == ["0.1", "on"]
    assert counts == [evaluator.count(tree) for tree in trees]
