"""A member table with a field of every type, for compiler tests without Flask.

Text, enum, number, boolean and multi fields, and four kinds of date column: a Date-only
one, a naive UTC DateTime, a timezone-aware DateTime and our UTCDateTime decorator.
``lookup_registry()`` adds a role name held as a foreign key (FilterField.lookup), as
text and enum, and the same name as a plain correlated subquery to compare with.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import sqlalchemy as sa

from community_segments.errors import CriteriaError
from community_segments.fields import FilterField, Lookup, Related
from community_segments.hooks.segments import SEGMENT_FIELD
from community_segments.query.compiler import Compiler
from community_segments.query.parse import parse_criteria
from community_segments.query.references import BrokenReference
from community_segments.registry import FieldRegistry
from community_segments.types import UTCDateTime

NOW = datetime(2026, 3, 15, 12, 0, 0, tzinfo=UTC)
COUNTRIES = ["US", "DE", "FR", "ES", "NL"]

metadata = sa.MetaData()
members = sa.Table(
    "tm_members", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("username", sa.String(40), nullable=False),
    sa.Column("email", sa.String(120)),
    sa.Column("city", sa.String(80)),
    sa.Column("country", sa.String(2)),
    sa.Column("karma", sa.Integer),
    sa.Column("verified", sa.Boolean),
    sa.Column("birthday", sa.Date),
    sa.Column("last_seen", sa.DateTime),
    sa.Column("joined", sa.DateTime(timezone=True)),
    sa.Column("signed_up", UTCDateTime),
    sa.Column("role_id", sa.Integer),  # no foreign key: a dangling id is tested too
)
roles = sa.Table(
    "tm_roles", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(40)),
)
member_tags = sa.Table(
    "tm_member_tags", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("member_id", sa.Integer, index=True, nullable=False),
    sa.Column("tag", sa.String(40), nullable=False),
)

TEXT_FIELDS = ("username", "email", "city")
DATE_FIELDS = ("birthday", "last_seen", "joined", "signed_up")


def registry() -> FieldRegistry:
    c = members.c
    fields = [FilterField(key=key, label=key.capitalize(), type="text", column=c[key])
              for key in TEXT_FIELDS]
    fields += [
        FilterField(key="country", label="Country", type="enum", column=c.country,
                    choices=COUNTRIES),
        FilterField(key="karma", label="Karma", type="number", column=c.karma),
        FilterField(key="verified", label="Verified", type="boolean", column=c.verified),
        FilterField(key="tags", label="Tags", type="multi",
                    related=Related(member_tags, member_tags.c.member_id, member_tags.c.tag)),
    ]
    fields += [FilterField(key=key, label=key.replace("_", " ").capitalize(), type="date",
                           column=c[key]) for key in DATE_FIELDS]
    return FieldRegistry([*fields, SEGMENT_FIELD])


def _rule(field, op, value=None):
    return {"field": field, "op": op, **({} if value is None else {"value": value})}


# Stored segments the ``segment`` rules of the tables refer to (id -> criteria); 9 is missing.
SEGMENTS = {
    1: {"match": "all", "rules": [_rule("country", "equals", "US")]},        # ana eve hal
    2: {"match": "all", "rules": [_rule("karma", "gte", 10)]},               # ana eve gus joe
    3: {"match": "all", "rules": [_rule("segment", "in", [1]), _rule("karma", "gte", 10)]},  # ana eve
    4: {"match": "any", "rules": []},                                        # everyone
    5: {"match": "all", "rules": [_rule("karma", "lt", 3.5)]},               # bob dan ivy
    6: {"match": "all", "rules": [_rule("segment", "not_in", [3])]},         # all but ana eve
    7: {"match": "any", "rules": [_rule("segment", "in", [6]), _rule("tags", "has_any", ["beta"])]},
    8: {"match": "all", "rules": [_rule("shoe_size", "gt", 9)]},             # broken
    10: {"match": "all", "rules": [_rule("segment", "in", [11])]},           # a cycle 10 -> 11 -> 10
    11: {"match": "all", "rules": [_rule("segment", "in", [10])]},
    12: {"match": "all", "rules": [_rule("segment", "in", [9])]},            # refers to a missing one
}


def resolver(fields: FieldRegistry, segments: dict = SEGMENTS):
    """What the service gives the engine: a segment id -> its parsed criteria."""
    def resolve(ident: int):
        if ident not in segments:
            raise BrokenReference(f"segment {ident} does not exist (deleted?)")
        try:
            return parse_criteria(segments[ident], fields)
        except CriteriaError as exc:
            raise BrokenReference(f"segment {ident} is broken: {exc.one_line()}") from None
    return resolve


def role_name() -> sa.ScalarSelect:
    return (sa.select(roles.c.name).where(roles.c.id == members.c.role_id)
            .scalar_subquery())


def lookup_registry() -> FieldRegistry:
    """``registry()`` plus ``role``/``role_text`` (lookups) and ``role_name`` (no lookup)."""
    lookup = Lookup(members.c.role_id, roles.c.id, roles.c.name)
    return FieldRegistry([*registry(), *(
        FilterField(key=key, label=key, type=kind, column=role_name(), lookup=found)
        for key, kind, found in (("role", "enum", lookup), ("role_text", "text", lookup),
                                 ("role_name", "text", None)))])


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


PLUS2 = timezone(timedelta(hours=2))

# name: (city, country, karma, verified, birthday, last_seen, joined, signed_up, tags)
MEMBERS = {
    "ana": ("Ñandú Park", "US", 10, True, date(1990, 5, 1), NOW - timedelta(days=10),
            utc(2026, 2, 28, 23, 59, 59), utc(2026, 3, 1), ["beta", "vip"]),
    "bob": ("École 50% off", "DE", 0, False, date(2026, 3, 1),
            NOW - timedelta(days=10, seconds=1), utc(2026, 3, 1), None, ["beta"]),
    "cat": (None, None, None, None, None, None, None, utc(2026, 2, 28, 23, 59, 59), []),
    "dan": ("", "FR", -5, True, date(2026, 2, 28), NOW, utc(2026, 3, 2),
            utc(2026, 3, 2), ["VIP", "Señor"]),
    "eve": ("back\\slash", "US", 100, False, date(2026, 3, 2),
            NOW - timedelta(days=10) + timedelta(seconds=1), utc(2026, 3, 1, 23, 59, 59),
            utc(2026, 3, 1, 23, 59, 59), ["50%", "a_b"]),
    "fay": ("100%", "ES", 5, None, date(2026, 3, 5), utc(2020, 1, 1), utc(2026, 3, 5, 12),
            datetime(2026, 3, 5, 14, tzinfo=PLUS2), ["a\\b", "ÉTÉ"]),
    "gus": ("under_score", "NL", 10, True, date(2026, 3, 6), None, None, None, ["a-b"]),
    "hal": ("underXscore", "US", 7, False, None, utc(2026, 3, 14), None, None, ["axb", "50x"]),
    "ivy": ("ÉCOLE", "DE", 3, True, None, None, None,
            datetime(2026, 3, 1, 1, 30, tzinfo=PLUS2), ["été"]),
    "joe": ("ñandú", "", 50, False, None, None, None, None, []),
    "kim": ("50 percent", None, None, True, None, None, None, None, []),
    "lea": ("  ", "FR", None, None, None, None, None, None, []),
}
EVERYONE = frozenset(MEMBERS)
ROLES = {1: "Admin", 2: "Member", 3: "Équipe", 4: "", 5: None}
# cat and kim have no role; gus's role 99 does not exist; fay's is named '', hal's NULL
ROLE_IDS = {"ana": 1, "bob": 2, "dan": 3, "eve": 2, "fay": 4, "gus": 99, "hal": 5,
            "ivy": 1, "joe": 2, "lea": 3}
DOMAINS = {"ana": "logoipsum.com", "dan": "LogoIpsum.com"}


def member_rows(data: dict = MEMBERS):
    """Rows for ``members`` and ``member_tags`` from ``{name: (city, ..., tags)}``."""
    rows, tags = [], []
    for index, (name, values) in enumerate(data.items(), start=1):
        city, country, karma, verified, birthday, last_seen, joined, signed_up, tag_list = values
        rows.append({
            "id": index, "username": name, "email": f"{name}@{DOMAINS.get(name, 'example.org')}",
            "city": city, "country": country, "karma": karma, "verified": verified,
            "birthday": birthday, "joined": joined, "signed_up": signed_up,
            "role_id": ROLE_IDS.get(name),
            # a naive UTC column: store the UTC wall time
            "last_seen": None if last_seen is None else last_seen.astimezone(UTC).replace(tzinfo=None),
        })
        tags += [{"member_id": index, "tag": tag} for tag in tag_list]
    for number, tag in enumerate(tags, start=1):
        tag["id"] = number
    return rows, tags


def fill(connection, data: dict = MEMBERS) -> None:
    connection.execute(member_tags.delete())
    connection.execute(members.delete())
    connection.execute(roles.delete())
    connection.execute(roles.insert(), [{"id": i, "name": n} for i, n in ROLES.items()])
    rows, tags = member_rows(data)
    if rows:
        connection.execute(members.insert(), rows)
    if tags:
        connection.execute(member_tags.insert(), tags)


def matching(connection, criteria, fields: FieldRegistry, now: datetime = NOW) -> set[str]:
    """Usernames of the members matching ``criteria`` (JSON-like dict), in one query."""
    tree = parse_criteria(criteria, fields)
    condition = Compiler(fields, members.c.id, now, resolver(fields)).compile(tree)
    return set(connection.scalars(sa.select(members.c.username).where(condition)))
