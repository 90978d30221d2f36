from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from community_segments.demo.importer import MemberLineSchema
from community_segments.demo.models import (
    BADGES,
    CUSTOM_ROLES,
    DEPARTMENTS,
    GROUPS,
    PRIMARY_ROLES,
    Group,
    Member,
    db,
)
from community_segments.demo.seed import JOB_TITLES, ensure_admin, generate_members, seed_database

NOW = datetime(2026, 3, 1, tzinfo=UTC)
IMPORT_KEYS = {
    "username", "email", "job_title", "department", "country", "primary_role",
    "custom_roles", "groups", "badges", "signed_up", "last_activity", "post_count",
}


@pytest.fixture(scope="module")
def members():
    return list(generate_members(5000, seed=42, now=NOW))


def share(members, predicate):
    return sum(1 for member in members if predicate(member)) / len(members)


def test_same_seed_gives_the_same_members():
    assert list(generate_members(300, seed=1, now=NOW)) == list(generate_members(300, 1, NOW))


def test_another_seed_gives_other_members():
    first = list(generate_members(300, seed=1, now=NOW))
    second = list(generate_members(300, seed=2, now=NOW))
    assert [m["email"] for m in first] != [m["email"] for m in second]


def test_members_have_exactly_the_import_shape_and_validate(members):
    schema = MemberLineSchema()
    for member in members[:500]:
        assert set(member) == IMPORT_KEYS
        assert schema.load(member)["username"] == member["username"]


def test_usernames_and_emails_are_unique(members):
    assert len({m["username"] for m in members}) == len(members)
    assert len({m["email"] for m in members}) == len(members)


@pytest.mark.parametrize(("predicate", "low", "high"), [
    (lambda m: m["email"].endswith("@logoipsum.com"), 0.04, 0.12),
    (lambda m: m["country"] == "US", 0.34, 0.46),
    (lambda m: m["country"] is None, 0.02, 0.08),
    (lambda m: m["primary_role"] == "Registered user", 0.80, 0.92),
    (lambda m: m["primary_role"] == "Pending approval", 0.03, 0.09),
    (lambda m: m["primary_role"] == "Banned", 0.005, 0.03),
    (lambda m: not m["groups"], 0.30, 0.40),
    (lambda m: not m["badges"], 0.35, 0.45),
    (lambda m: not m["custom_roles"], 0.80, 0.97),
    (lambda m: m["last_activity"] is None, 0.07, 0.14),
    (lambda m: m["post_count"] == 0, 0.30, 0.80),
])
def test_distributions_are_believable(members, predicate, low, high):
    assert low <= share(members, predicate) <= high


def test_every_value_comes_from_its_vocabulary(members):
    assert {m["department"] for m in members} == {*DEPARTMENTS, None}
    assert {m["primary_role"] for m in members} == set(PRIMARY_ROLES)
    assert {g for m in members for g in m["groups"]} == set(GROUPS)
    assert {b for m in members for b in m["badges"]} == set(BADGES)
    assert {r for m in members for r in m["custom_roles"]} == set(CUSTOM_ROLES)
    assert all(m["job_title"] in JOB_TITLES[m["department"]] for m in members if m["department"])


def test_dates_are_ordered_within_three_years_and_activity_is_recent(members):
    signed_up = [datetime.fromisoformat(m["signed_up"]) for m in members]
    assert min(signed_up) >= NOW - timedelta(days=3 * 365)
    assert max(signed_up) <= NOW
    active = [(datetime.fromisoformat(m["last_activity"]), s)
              for m, s in zip(members, signed_up, strict=True) if m["last_activity"]]
    assert all(s <= last <= NOW for last, s in active)
    assert share(active, lambda pair: pair[0] >= NOW - timedelta(days=90)) > 0.3


def test_post_counts_are_long_tailed(members):
    counts = Counter(m["post_count"] for m in members)
    assert max(counts) >= 100
    assert counts[0] > counts[1] > counts[5]


def test_seed_database_inserts_the_generated_members_with_their_tags(app, tables):
    assert seed_database(db.session, 300, seed=5, now=NOW, batch_size=64) == 300
    db.session.commit()
    stored = db.session.scalars(sa.select(Member).options(
        selectinload(Member.groups), selectinload(Member.badges),
        selectinload(Member.custom_roles)))
    assert {m.username: _as_import_row(m) for m in stored} == {
        m["username"]: m for m in generate_members(300, seed=5, now=NOW)}


def test_seed_database_creates_tags_once_in_a_stable_order(app, tables):
    seed_database(db.session, 50, seed=5, now=NOW, batch_size=10)
    db.session.commit()
    assert db.session.scalars(sa.select(Group.name).order_by(Group.id)).all() == list(GROUPS)


def test_ensure_admin_creates_the_administrator_once(app, tables):
    assert ensure_admin(db.session) == ("admin", "admin")
    assert ensure_admin(db.session) == ("admin", "admin")
    db.session.commit()
    admins = db.session.scalars(sa.select(Member).where(Member.username == "admin")).all()
    assert [a.primary_role for a in admins] == ["Administrator"]
    assert admins[0].check_password("admin")
    assert not admins[0].check_password("wrong")


def _as_import_row(member: Member) -> dict:
    return {
        "username": member.username, "email": member.email, "job_title": member.job_title,
        "department": member.department, "country": member.country,
        "primary_role": member.primary_role,
        "custom_roles": sorted(r.name for r in member.custom_roles),
        "groups": sorted(g.name for g in member.groups),
        "badges": sorted(b.name for b in member.badges),
        "signed_up": member.signed_up.isoformat(),
        "last_activity": member.last_activity and member.last_activity.isoformat(),
        "post_count": member.post_count,
    }
