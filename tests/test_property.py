"""The compiled SQL agrees with a plain-Python reading of DESIGN.md's semantics.

Random members and random criteria trees (every type and operator, random nesting); the
reference is the operator table's plain-Python evaluators (DESIGN.md's semantics written
without SQL), which share nothing with the SQL builders but the table's twins.
SQLite gets many examples, PostgreSQL and MariaDB fewer (they cost a round trip each).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from community_segments.errors import CriteriaError
from community_segments.query import operators
from community_segments.query.compiler import Compiler
from community_segments.query.operators import BY_TYPE
from community_segments.query.parse import parse_criteria

from .member_model import COUNTRIES, NOW, member_tags, members, metadata, registry, resolver

FIELDS = registry()
EXAMPLES = {"sqlite": 400, "postgresql": 60, "mariadb": 60}

# ASCII, accented letters in both cases, LIKE's wildcards, SQLAlchemy's escape char and spaces
ALPHABET = "aAbBzZñÑéÉüÜ%_\\/ "
texts = st.text(ALPHABET, max_size=6)
values = st.sampled_from(list("%_\\/ ñÉ")) | st.text(ALPHABET, min_size=1, max_size=3)
DAY0 = NOW.date() - timedelta(days=12)
days = st.integers(0, 24).map(lambda n: DAY0 + timedelta(days=n))
moments = st.one_of(
    st.builds(lambda d: datetime.combine(d, datetime.min.time(), UTC), days),      # midnight
    st.builds(lambda d: datetime.combine(d, datetime.max.time(), UTC).replace(microsecond=0), days),
    st.integers(0, 24).map(lambda n: NOW - timedelta(days=n)),                    # exactly N days ago
    st.integers(-3 * 86400, 24 * 86400).map(lambda s: NOW - timedelta(seconds=s)),
)
# few distinct tags, so that members share them and has_all/has_any have something to tell apart
tag_values = st.sampled_from(["a", "A", "ñ", "Ñ", "é", "É%", "_", "\\", "x_y"])

member = st.fixed_dictionaries({
    "email": st.none() | texts,
    "city": st.none() | texts,
    "country": st.none() | st.sampled_from(["", *COUNTRIES, "us", "De"]),
    "karma": st.none() | st.integers(-3, 3),
    "verified": st.none() | st.booleans(),
    "birthday": st.none() | days,
    "last_seen": st.none() | moments,
    "joined": st.none() | moments,
    "signed_up": st.none() | moments,
    "tags": st.lists(tag_values, max_size=3, unique_by=str.lower),
})


def _rule_for(key: str):
    kind = FIELDS[key].type
    return st.sampled_from(BY_TYPE[kind]).flatmap(lambda op: _value(kind, op).map(
        lambda value: {"field": key, "op": op, **({} if value is None else {"value": value})}))


def _value(kind, op):
    if op in ("is_empty", "is_not_empty", "is_true", "is_false"):
        return st.none()
    if op in ("less_than_days_ago", "more_than_days_ago"):
        return st.integers(0, 20)
    one = {"text": values, "enum": st.sampled_from(COUNTRIES + ["us", "de"]),
           "multi": tag_values, "number": st.integers(-3, 3) | st.sampled_from([-0.5, 1.5]),
           "date": days.map(date.isoformat)}[kind]
    if op in ("in", "not_in", "has_any", "has_all", "has_none"):
        return st.lists(one, min_size=1, max_size=3)
    if op == "between":
        return st.tuples(one, one).map(sorted)
    return one


rules = st.sampled_from([f.key for f in FIELDS if f.key != "segment"]).flatmap(_rule_for)
trees = st.recursive(
    rules, lambda children: st.fixed_dictionaries(
        {"match": st.sampled_from(["all", "any"]), "rules": st.lists(children, max_size=3)}),
    max_leaves=6,
).map(lambda node: node if "rules" in node else {"match": "all", "rules": [node]})


# -- the reference: DESIGN.md in Python, from the operator table's evaluators ---------------

def evaluate(node, m, segments: dict | None = None) -> bool:
    if "rules" in node:
        results = [evaluate(child, m, segments) for child in node["rules"]]
        if not results:
            return True
        return all(results) if node["match"] == "all" else any(results)
    kind = FIELDS[node["field"]].type
    if node["field"] == "segment":  # the segments the member is in, as defined right now
        have = {i for i in node["value"] if evaluate(segments[i], m, segments)}
        return REFERENCE["segment"](have, node["op"], node["value"])
    return REFERENCE[str(kind)](m[node["field"]], node["op"], node.get("value"))


def _reference(kind):
    return lambda v, op, arg: operators.evaluate(kind, op, v, arg, NOW)


REFERENCE = {str(kind): _reference(kind) for kind in BY_TYPE}


# -- SQL side ---------------------------------------------------------------------------------

def _store(connection, people) -> None:
    connection.execute(member_tags.delete())
    connection.execute(members.delete())
    rows = [{"id": i, **{k: v for k, v in m.items() if k != "tags"}}
            for i, m in enumerate(people, start=1)]
    for row in rows:
        if row["last_seen"] is not None:  # a naive UTC column
            row["last_seen"] = row["last_seen"].replace(tzinfo=None)
    tags = [{"member_id": i, "tag": t} for i, m in enumerate(people, start=1) for t in m["tags"]]
    for number, tag in enumerate(tags, start=1):
        tag["id"] = number
    if rows:
        connection.execute(members.insert(), rows)
    if tags:
        connection.execute(member_tags.insert(), tags)


def _sql(connection, criteria) -> set[int]:
    tree = parse_criteria(criteria, FIELDS)
    condition = Compiler(FIELDS, members.c.id, NOW).compile(tree)
    return set(connection.scalars(sa.select(members.c.id).where(condition)))


def _leaves(nodes):
    """Each rule on its own too: a wrong rule is not hidden by its neighbours."""
    for node in nodes:
        if "rules" in node:
            yield from _leaves(node["rules"])
        else:
            yield {"match": "all", "rules": [node]}


@pytest.fixture(scope="module")
def connection(module_db_url):
    engine = sa.create_engine(module_db_url)
    metadata.create_all(engine)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def test_sql_agrees_with_reference(connection):
    @settings(max_examples=EXAMPLES[connection.dialect.name if connection.dialect.name != "mysql"
                                    else "mariadb"],
              deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(people=st.lists(member, min_size=2, max_size=10),
           criteria=st.lists(trees, min_size=3, max_size=8))
    def check(people, criteria):
        people = [{"username": f"m{i}", **m} for i, m in enumerate(people, start=1)]
        try:
            _store(connection, people)
            for tree in criteria:
                expected = {i for i, m in enumerate(people, start=1) if evaluate(tree, m)}
                assert _sql(connection, tree) == expected, tree
        finally:
            connection.rollback()

    check()


def _with_references(base_trees):
    """Segments 1..n: segment i is tree i, and (from 2 on) refers to earlier segments."""
    return st.lists(st.tuples(st.sampled_from(["all", "any"]), st.sampled_from(["in", "not_in"]),
                              st.integers(0, 2 ** 8)), min_size=len(base_trees),
                    max_size=len(base_trees)).map(lambda picks: {
        i: base if i == 1 else {"match": match, "rules": [base, {
            "field": "segment", "op": op,
            "value": sorted({1 + (bits >> k) % (i - 1) for k in range(3)})}]}
        for i, (base, (match, op, bits)) in enumerate(zip(base_trees, picks), start=1)})  # noqa: B905


segment_sets = st.lists(trees, min_size=1, max_size=4).flatmap(_with_references)


def _ref_trees(count: int):
    refs = st.builds(lambda op, ids: {"field": "segment", "op": op, "value": ids},
                     st.sampled_from(["in", "not_in"]),
                     st.lists(st.integers(1, count), min_size=1, max_size=3, unique=True))
    return st.recursive(rules | refs, lambda children: st.fixed_dictionaries(
        {"match": st.sampled_from(["all", "any"]), "rules": st.lists(children, max_size=3)}),
        max_leaves=5).map(lambda node: node if "rules" in node else {"match": "all", "rules": [node]})


def test_segment_references_agree_with_reference(connection):
    """``segment in/not_in``, nested, inlined into one query, against the Python reading."""
    name = connection.dialect.name if connection.dialect.name != "mysql" else "mariadb"

    @settings(max_examples=EXAMPLES[name] // 2, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(people=st.lists(member, min_size=2, max_size=8), data=st.data())
    def check(people, data):
        segments = data.draw(segment_sets)
        criteria = data.draw(st.lists(_ref_trees(len(segments)), min_size=2, max_size=5))
        people = [{"username": f"m{i}", **m} for i, m in enumerate(people, start=1)]
        resolve = resolver(FIELDS, segments)
        try:
            _store(connection, people)
            for tree in criteria:
                expected = {i for i, m in enumerate(people, start=1)
                            if evaluate(tree, m, segments)}
                parsed = parse_criteria(tree, FIELDS)
                condition = Compiler(FIELDS, members.c.id, NOW, resolve).compile(parsed)
                found = set(connection.scalars(sa.select(members.c.id).where(condition)))
                assert found == expected, (tree, segments)
        finally:
            connection.rollback()

    check()


def test_reference_covers_every_operator():
    for kind, ops in BY_TYPE.items():
        for op in ops:
            value = {"between": [0, 1], "less_than_days_ago": 1, "more_than_days_ago": 1,
                     "before": "2026-01-01", "after": "2026-01-01"}.get(op, 0)
            if str(kind) in ("text", "enum", "multi"):
                value = ["x"] if op in ("in", "not_in") or str(kind) == "multi" else "x"
            if str(kind) == "date" and op == "between":
                value = ["2026-01-01", "2026-01-02"]
            result = REFERENCE[str(kind)]({"multi": []}.get(str(kind)), op, value)
            assert isinstance(result, bool), (kind, op)


def _reachable_problem(start: int, graph: dict[int, list[int]]) -> bool:
    """Whether following references from ``start`` meets a missing segment or a cycle."""
    def visit(node, trail):
        if node not in graph or node in trail:
            return True
        return any(visit(nxt, trail | {node}) for nxt in graph[node])
    return visit(start, frozenset())


@settings(max_examples=200, deadline=None, database=None)
@given(st.dictionaries(st.integers(1, 5), st.lists(st.integers(1, 6), max_size=2), min_size=1),
       st.integers(1, 5), st.sampled_from(["in", "not_in"]))
def test_cycles_and_missing_references_are_refused(graph, start, op):
    """Compiling refuses exactly the references that lead to a cycle or a missing segment."""
    segments = {i: {"match": "all", "rules": [{"field": "karma", "op": "gt", "value": i}] + (
        [{"field": "segment", "op": "in", "value": targets}] if targets else [])}
        for i, targets in graph.items()}
    tree = parse_criteria({"match": "all", "rules": [
        {"field": "segment", "op": op, "value": [start]}]}, FIELDS)
    compiler = Compiler(FIELDS, members.c.id, NOW, resolver(FIELDS, segments))
    if _reachable_problem(start, {i: list(t) for i, t in graph.items()}):
        with pytest.raises(CriteriaError, match=r"does not exist|leads back to itself"):
            compiler.compile(tree)
    else:
        compiler.compile(tree)
