"""Keyset pages (``after=``/``before=`` cursors) list the same members in the same order
as one ordered query, for every sortable column of every type, both directions, with
empty values and ties; and a cursor that is not one of ours is a ValidationError.

Random members and page sizes (hypothesis) on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from community_segments import cursor
from community_segments.errors import ValidationError
from community_segments.evaluation import Evaluator
from community_segments.members import MemberView
from community_segments.query.parse import parse_criteria

from .member_model import NOW, members, metadata, registry

FIELDS = registry()
COLUMNS = ["username", "email", "city", "country", "karma", "verified", "birthday",
           "last_seen", "joined", "signed_up"]
VIEW = MemberView(model=members, columns={"id": members.c.id,
                                          **{name: members.c[name] for name in COLUMNS}})
EXAMPLES = {"sqlite": 120, "postgresql": 30, "mysql": 30}
EVERYONE = parse_criteria({"match": "all", "rules": []}, FIELDS)

# Few distinct values, so that ties (and case-only differences) are common.
texts = st.sampled_from(["", "a", "A", "b", "ñ", "Ñ", "é", "z z", "%"])
moments = st.sampled_from([NOW - timedelta(days=n, microseconds=m)
                           for n in (0, 1, 3) for m in (0, 250)])
member = st.fixed_dictionaries({
    "username": texts, "email": st.none() | texts, "city": st.none() | texts,
    "country": st.none() | st.sampled_from(["US", "DE", "us"]),
    "karma": st.none() | st.integers(-2, 2), "verified": st.none() | st.booleans(),
    "birthday": st.none() | st.sampled_from([date(2000, 1, 1), date(1999, 12, 31)]),
    "last_seen": st.none() | moments.map(lambda m: m.replace(tzinfo=None)),
    "joined": st.none() | moments, "signed_up": st.none() | moments,
})


@pytest.fixture(scope="module")
def session(module_db_url):
    engine = sa.create_engine(module_db_url)
    metadata.create_all(engine)
    with sa.orm.Session(engine) as session:
        yield session
    engine.dispose()


def _store(session, people) -> None:
    session.execute(members.delete())
    if people:
        session.execute(members.insert(), [{"id": i, **m} for i, m in enumerate(people, start=1)])


def _walk(evaluator, sort, direction, per_page):
    """Every page by ``after`` cursors, then back again by ``before`` cursors."""
    pages = [evaluator.members(EVERYONE, per_page=per_page, sort=sort, direction=direction,
                               count=False)]
    while pages[-1].next_after:
        pages.append(evaluator.members(EVERYONE, per_page=per_page, sort=sort,
                                       direction=direction, after=pages[-1].next_after, count=False))
    back = [pages[-1]]
    while back[-1].previous_before:
        back.append(evaluator.members(EVERYONE, per_page=per_page, sort=sort,
                                      direction=direction, before=back[-1].previous_before,
                                      count=False))
    return pages, back[::-1]


def test_keyset_pages_equal_one_ordered_query(session):
    evaluator = Evaluator(session, FIELDS, VIEW, now=NOW)

    @settings(max_examples=EXAMPLES[session.get_bind().dialect.name], deadline=None,
              database=None, suppress_health_check=[HealthCheck.too_slow,
                                                    HealthCheck.function_scoped_fixture])
    @given(people=st.lists(member, min_size=0, max_size=14), per_page=st.integers(1, 5),
           sort=st.sampled_from(COLUMNS), direction=st.sampled_from(["asc", "desc"]))
    def check(people, per_page, sort, direction):
        try:
            _store(session, people)
            whole = evaluator.members(EVERYONE, per_page=500, sort=sort, direction=direction)
            expected = [row["id"] for row in whole.items]
            assert whole.total == len(people) == len(expected) and whole.next_after is None
            pages, back = _walk(evaluator, sort, direction, per_page)
            assert [row["id"] for p in pages for row in p.items] == expected
            assert [row["id"] for p in back for row in p.items] == expected
            assert all(len(p.items) == per_page for p in pages[:-1])
            assert back[0].page == 1 and back[0].previous_before is None
            by_offset = [evaluator.members(EVERYONE, page=n, per_page=per_page, sort=sort,
                                           direction=direction, count=False).items
                         for n in range(1, len(pages) + 1)]
            assert [p.items for p in pages] == by_offset
        finally:
            session.rollback()

    check()


def test_nulls_come_last_in_both_directions(session):
    """The ordering the keyset follows: values, then the empty ones, ties and empties by id
    in the sort's direction (as an index on the column is walked)."""
    evaluator = Evaluator(session, FIELDS, VIEW, now=NOW)
    try:
        _store(session, [{"username": name, "karma": karma}
                         for name, karma in [("a", None), ("b", 2), ("c", None), ("d", 1)]])
        for direction, order in (("asc", [4, 2, 1, 3]), ("desc", [2, 4, 3, 1])):
            pages, _ = _walk(evaluator, "karma", direction, 1)
            assert [p.items[0]["id"] for p in pages] == order
    finally:
        session.rollback()


def _forged(data) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(("text", "says"), [
    ("not a cursor!", "garbled"),
    ("e30", "not a cursor of this version"),                         # {}
    (_forged([1, "karma", "asc", "i", 1, 3]), "made for sorting by 'karma'"),
    (_forged([1, "username", "desc", "s", "a", 3]), "'asc'"),
    (_forged([1, "username", "asc", "i", 5, 3]), "holds a whole number, but the sort column"),
    (_forged([1, "username", "asc", "s", "a\u0000", 3]), "which is not a text"),
    (_forged([1, "username", "asc", "s", "a", 0]), "not a member id"),
    (_forged([1, "username", "asc", "s", "a", True]), "not a member id"),
    (_forged([1, "username", "asc", "q", "a", 3]), "unknown type"),
    (_forged([2, "username", "asc", "s", "a", 3]), "version"),
    ("A" * 5000, "1 to 4096 characters"),
])
def test_forged_cursors_are_refused(text, says):
    with pytest.raises(ValidationError) as caught:
        cursor.decode(text, "username", "asc", str)
    assert says in caught.value.errors["after"][0]


@pytest.mark.parametrize(("python_type", "tag", "value"), [
    (int, "i", 2**64), (int, "i", 1.5), (float, "f", "NaN"), (datetime, "t", "yesterday"),
    (date, "t", NOW.isoformat()), (datetime, "d", "2026-01-01"), (bool, "b", 1),
])
def test_values_of_the_wrong_type_are_refused(python_type, tag, value):
    with pytest.raises(ValidationError):
        cursor.decode(_forged([1, "x", "asc", tag, value, 3]), "x", "asc", python_type)


def test_json_constants_are_not_numbers():
    text = base64.urlsafe_b64encode(b'[1,"karma","asc","f",NaN,3]').decode()
    with pytest.raises(ValidationError, match="garbled"):
        cursor.decode(text, "karma", "asc", float)


@pytest.mark.parametrize("value", [None, "ñé z", 3, -2.5, True, date(2026, 1, 2),
                                   datetime(2026, 1, 2, 3, 4, 5, 6),
                                   datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)])
def test_a_key_round_trips(value):
    key = cursor.Key("x", "desc", value, 7)
    assert cursor.decode(key.encode(), "x", "desc", None) == key


# -- JIT off around the page and count queries (PostgreSQL) ------------------------------

def _statements(session):
    seen: list[str] = []

    def record(conn, cursor_, statement, parameters, context, executemany):
        values = " ".join(str(v) for v in (parameters or {}).values()) \
            if isinstance(parameters, dict) else ""
        seen.append(" ".join(statement.split()) + " | " + values)

    return seen, record


def _sets_jit(statement: str, value: str) -> bool:
    """A statement of the evaluator's that sets ``jit`` to ``value`` (``set_config``,
    names and values bound)."""
    words = statement.split(" | ")[-1].split()
    return "set_config" in statement and "jit" in words and value in words


def test_jit_is_off_for_the_page_and_the_count_then_back(session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    evaluator = Evaluator(session, FIELDS, VIEW, now=NOW)
    engine = session.get_bind()
    seen, record = _statements(session)
    try:
        _store(session, [{"username": name} for name in "abc"])
        default = session.scalar(sa.text("SHOW jit"))
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            page = evaluator.members(EVERYONE, per_page=2, sort="username")
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
        assert [row["username"] for row in page.items] == ["a", "b"] and page.total == 3
        page_at = next(i for i, s in enumerate(seen) if " LIMIT " in s and "ORDER BY" in s)
        count_at = next(i for i, s in enumerate(seen) if "count(" in s)
        for at in (page_at, count_at):
            off = max(i for i, s in enumerate(seen[:at]) if _sets_jit(s, "off"))
            assert not any(_sets_jit(s, default) for s in seen[off:at])
            assert any(_sets_jit(s, default) for s in seen[at:])
        assert session.scalar(sa.text("SHOW jit")) == default  # same transaction, same session
    finally:
        session.rollback()


def test_a_failing_page_query_does_not_leave_jit_off(session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    evaluator = Evaluator(session, FIELDS, VIEW, now=NOW)
    engine = session.get_bind()
    default = session.scalar(sa.text("SHOW jit"))
    session.rollback()

    def fail(conn, cursor_, statement, parameters, context, executemany):
        if " LIMIT " in statement:  # the page query, made to fail in the database
            return "SELECT 1 / 0", {}
        return statement, parameters

    sa.event.listen(engine, "before_cursor_execute", fail, retval=True)
    try:
        with pytest.raises(sa.exc.DBAPIError, match="division by zero"):
            evaluator.members(EVERYONE, per_page=2, sort="username")
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail)
    session.rollback()
    assert session.scalar(sa.text("SHOW jit")) == default
    session.rollback()
