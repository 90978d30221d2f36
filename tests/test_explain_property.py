"""Explain, memberships and diff lists agree with the member lists, on every database.

Random members and random criteria trees (tests/test_property.py's strategies): the
explain verdict is membership in the compiled member list, each rule's mark is the
operator table's plain-Python evaluation of that rule, ``memberships`` is the set of
trees whose member list holds the member, and the diff lists are set differences.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from community_segments.query.compiler import Compiler
from community_segments.query.explain import MemberReader, changed
from community_segments.query.parse import parse_criteria

from .member_model import NOW, members, metadata
from .test_property import FIELDS, REFERENCE, _store, member, trees

EXAMPLES = {"sqlite": 150, "postgresql": 30, "mariadb": 30}


def _examples(connection) -> int:
    name = connection.dialect.name
    return EXAMPLES["mariadb" if name == "mysql" else name]


def _settings(connection):
    return settings(max_examples=_examples(connection), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _member_list(connection, tree) -> set[int]:
    condition = Compiler(FIELDS, members.c.id, NOW).compile(tree)
    return set(connection.scalars(sa.select(members.c.id).where(condition)))


def _reader() -> MemberReader:
    return MemberReader(FIELDS, members, members.c.id, NOW)


@pytest.fixture(scope="module")
def connection(module_db_url):
    engine = sa.create_engine(module_db_url)
    metadata.create_all(engine)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def _people(people):
    return [{"username": f"m{i}", **m} for i, m in enumerate(people, start=1)]


def test_explain_agrees_with_member_list_and_reference(connection):
    @_settings(connection)
    @given(people=st.lists(member, min_size=1, max_size=6), criteria=trees, pick=st.integers(0, 5))
    def check(people, criteria, pick):
        people = _people(people)
        chosen = pick % len(people) + 1
        try:
            _store(connection, people)
            tree = parse_criteria(criteria, FIELDS)
            explanation = _reader().explain(connection, tree, chosen)
            assert explanation.verdict == (chosen in _member_list(connection, tree)), criteria
            person = people[chosen - 1]
            for mark in explanation.tree.rules():
                kind = str(FIELDS[mark.field].type)
                expected = REFERENCE[kind](person[mark.field], mark.op, mark.value)
                assert mark.matched == expected, (mark, person)
        finally:
            connection.rollback()

    check()


def test_memberships_agree_with_member_lists(connection):
    @_settings(connection)
    @given(people=st.lists(member, min_size=1, max_size=6),
           criteria=st.lists(trees, min_size=1, max_size=6), pick=st.integers(0, 5))
    def check(people, criteria, pick):
        people = _people(people)
        chosen = pick % len(people) + 1
        try:
            _store(connection, people)
            parsed = [parse_criteria(c, FIELDS) for c in criteria]
            found = _reader().memberships(connection, parsed, chosen)
            expected = [chosen in _member_list(connection, tree) for tree in parsed]
            assert found == expected
        finally:
            connection.rollback()

    check()


def test_diff_lists_are_set_differences(connection):
    @_settings(connection)
    @given(people=st.lists(member, min_size=1, max_size=8), old=trees, new=trees)
    def check(people, old, new):
        try:
            _store(connection, _people(people))
            old_tree, new_tree = parse_criteria(old, FIELDS), parse_criteria(new, FIELDS)
            compiler = Compiler(FIELDS, members.c.id, NOW)
            a, b = compiler.compile(old_tree), compiler.compile(new_tree)
            added = set(connection.scalars(sa.select(members.c.id).where(changed(b, a))))
            removed = set(connection.scalars(sa.select(members.c.id).where(changed(a, b))))
            old_ids = _member_list(connection, old_tree)
            new_ids = _member_list(connection, new_tree)
            assert added == new_ids - old_ids
            assert removed == old_ids - new_ids
        finally:
            connection.rollback()

    check()


def test_unknown_member_is_none(connection):
    tree = parse_criteria({"match": "all", "rules": []}, FIELDS)
    try:
        _store(connection, _people([]))
        assert _reader().explain(connection, tree, 999) is None
        assert _reader().memberships(connection, [tree], 999) is None
    finally:
        connection.rollback()
