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

from community_segments.query import operators
from community_segments.query.compiler import Compiler
from community_segments.query.operators import BY_TYPE
from community_segments.query.parse import parse_criteria

from .member_model import COUNTRIES, NOW, member_tags, members, metadata, registry

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


rules = st.sampled_from([f.key for f in FIELDS]).flatmap(_rule_for)
trees = st.recursive(
    rules, lambda children: st.fixed_dictionaries(
        {"match": st.sampled_from(["all", "any"]), "rules": st.lists(children, max_size=3)}),
    max_leaves=6,
).map(lambda node: node if "rules" in node else {"match": "all", "rules": [node]})


# -- the reference: DESIGN.md in Python, from the operator table's evaluators ---------------

def evaluate(node, m) -> bool:
    if "rules" in node:
        results = [evaluate(child, m) for child in node["rules"]]
        if not results:
            return True
        return all(results) if node["match"] == "all" else any(results)
    kind = FIELDS[node["field"]].type
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
