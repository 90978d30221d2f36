"""A deterministic, believable member base for the demo community, and fast bulk inserts."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from itertools import batched

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from community_segments.types import as_utc, utcnow

from .models import (
    BADGES,
    CUSTOM_ROLES,
    GROUPS,
    Badge,
    CustomRole,
    Group,
    Member,
    member_badges,
    member_custom_roles,
    member_groups,
)

COMPANY_DOMAIN = "logoipsum.com"
CUSTOMER_DOMAINS = (
    "gmail.com", "outlook.com", "yahoo.com", "proton.me", "acme.io", "globex.com",
    "initech.com", "umbrella.co", "hooli.com", "piedpiper.net", "stark.industries",
    "wayne-enterprises.com", "soylent.co", "vandelay.com", "wonka.com", "tyrell.ai",
    "cyberdyne.io", "aperture.science", "blackmesa.org", "oscorp.com", "massive.dynamic",
    "nakatomi.jp", "monarch.de", "lumon.industries", "dundermifflin.com",
)
FIRST_NAMES = (
    "james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda", "david",
    "elizabeth", "william", "barbara", "richard", "susan", "joseph", "jessica", "thomas",
    "sarah", "charles", "karen", "priya", "arjun", "mei", "hiroshi", "yuki", "lucas", "sofia",
    "mateo", "emma", "noah", "olivia", "liam", "ana", "joao", "fatima", "omar", "lena",
    "jonas", "chloe", "pierre",
)
LAST_NAMES = (
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez",
    "martinez", "hernandez", "lopez", "wilson", "anderson", "taylor", "moore", "martin", "lee",
    "thompson", "white", "harris", "clark", "patel", "sharma", "tanaka", "sato", "muller",
    "schmidt", "dubois", "bernard", "silva", "santos", "devries", "jansen", "kowalski",
    "nguyen", "kim", "chen", "wang", "rossi",
)
JOB_TITLES = {
    "Customer Success": ("Customer Success Manager", "Account Manager", "Onboarding Specialist",
                         "Head of Customer Success"),
    "Product": ("Product Manager", "Senior Product Manager", "Product Designer",
                "UX Researcher", "VP Product"),
    "Engineering": ("Software Engineer", "Senior Software Engineer", "Staff Engineer",
                    "Engineering Manager", "DevOps Engineer", "QA Engineer", "CTO"),
    "Sales": ("Account Executive", "Sales Development Representative", "Sales Engineer",
              "Head of Sales"),
    "Marketing": ("Marketing Manager", "Content Strategist", "Growth Marketer",
                  "Community Marketing Lead", "CMO"),
    "Support": ("Support Engineer", "Support Specialist", "Technical Support Lead",
                "Head of Support"),
    "Finance": ("Accountant", "Financial Analyst", "Controller", "CFO"),
    "Operations": ("Operations Manager", "Business Analyst", "IT Administrator", "COO"),
}
DEPARTMENT_WEIGHTS = {
    "Customer Success": 10, "Product": 12, "Engineering": 30, "Sales": 10,
    "Marketing": 10, "Support": 12, "Finance": 6, "Operations": 10,
}
COUNTRY_WEIGHTS = {
    "US": 40, "GB": 9, "DE": 7, "FR": 5, "CA": 5, "IN": 6, "BR": 4, "NL": 3, "ES": 3,
    "AU": 3, "JP": 3, "SE": 2, "IT": 2, "PL": 1.5, "MX": 1.5, None: 5,
}
PRIMARY_ROLE_WEIGHTS = {
    "Registered user": 86.5, "Pending approval": 7, "Moderator": 3.5,
    "Administrator": 1, "Banned": 2,
}
GROUP_WEIGHTS = dict(zip(GROUPS, (30, 20, 10, 25, 3, 30), strict=True))
BADGE_WEIGHTS = dict(zip(BADGES, (60, 25, 8, 15, 4), strict=True))
CUSTOM_ROLE_WEIGHTS = dict(zip(CUSTOM_ROLES, (2, 5, 6, 3), strict=True))

EMPLOYEE_SHARE = 0.08
NO_GROUPS_SHARE = 0.35
NO_BADGES_SHARE = 0.40
NO_CUSTOM_ROLES_SHARE = 0.92
UNKNOWN_JOB_SHARE = 0.03
NEVER_ACTIVE_SHARE = 0.045  # on top of every "Pending approval" member, about 10% in all
HISTORY = timedelta(days=3 * 365)
MAX_POST_COUNT = 20_000

_TAGS = (  # (row key, tag model, link table, link column)
    ("groups", Group, member_groups, "group_id"),
    ("badges", Badge, member_badges, "badge_id"),
    ("custom_roles", CustomRole, member_custom_roles, "custom_role_id"),
)
_MEMBER_COLUMNS = (
    "username", "email", "job_title", "department", "country", "primary_role",
    "signed_up", "last_activity", "post_count",
)
_IN_CHUNK = 500


def generate_members(n: int, seed: int, now: datetime | None = None) -> Iterator[dict]:
    """``n`` members in the JSONL import shape, dates as ISO 8601; same seed, same members."""
    for member in _generate(n, seed, now):
        yield {**member, "signed_up": _iso(member["signed_up"]),
               "last_activity": _iso(member["last_activity"])}


def seed_database(session_or_connection: Session | Connection, n: int, seed: int,
                  now: datetime | None = None, batch_size: int = 5000) -> int:
    """Insert ``n`` generated members in the caller's transaction (the caller commits)."""
    connection = _connection(session_or_connection)
    # Tags first, in a stable order, so that the same seed gives the same tag ids.
    _ensure_tags(connection, {"groups": GROUPS, "badges": BADGES, "custom_roles": CUSTOM_ROLES}, {})
    return insert_members(connection, _generate(n, seed, now), batch_size)


def ensure_admin(session: Session, username: str = "admin",
                 password: str = "admin") -> tuple[str, str]:
    """Create the demo administrator unless a member of that name exists; return the login."""
    exists = session.scalar(sa.select(Member.id).where(Member.username == username))
    if exists is None:
        admin = Member(username=username, email=f"{username}@{COMPANY_DOMAIN}",
                       primary_role="Administrator", department="Operations",
                       job_title="Community Administrator", signed_up=utcnow())
        admin.set_password(password)
        session.add(admin)
        session.flush()
    return username, password


def insert_members(connection: Connection, members: Iterable[dict], batch_size: int = 5000) -> int:
    """Bulk-insert member dicts (datetimes, tag names) and their tags, creating missing tags."""
    tag_ids: dict[str, dict[str, int]] = {key: {} for key, *_ in _TAGS}
    count = 0
    for batch in batched(members, batch_size):
        _ensure_tags(connection, _tag_names(batch), tag_ids)
        member_ids = _insert_member_rows(connection, batch)
        _insert_links(connection, batch, member_ids, tag_ids)
        count += len(batch)
    return count


def _connection(session_or_connection: Session | Connection) -> Connection:
    if isinstance(session_or_connection, Session):
        return session_or_connection.connection()
    return session_or_connection


def _tag_names(batch: tuple[dict, ...]) -> dict[str, Iterable[str]]:
    return {key: dict.fromkeys(name for member in batch for name in member[key])
            for key, *_ in _TAGS}


def _ensure_tags(connection: Connection, names: dict[str, Iterable[str]],
                 tag_ids: dict[str, dict[str, int]]) -> None:
    """Fill ``tag_ids`` (keyed by lower-case name) for ``names``, inserting the missing tags."""
    for key, model, *_ in _TAGS:
        known = tag_ids.setdefault(key, {})
        wanted = {name.lower(): name for name in names[key] if name.lower() not in known}
        if not wanted:
            continue
        known.update(_select_tag_ids(connection, model, wanted))
        missing = [{"name": name} for lower, name in wanted.items() if lower not in known]
        if missing:
            connection.execute(sa.insert(model), missing)
            known.update(_select_tag_ids(connection, model, wanted))


def _select_tag_ids(connection: Connection, model, lowered: Iterable[str]) -> dict[str, int]:
    """Existing tags matched case-insensitively, as on MariaDB's default collation everywhere."""
    found: dict[str, int] = {}
    for chunk in batched(lowered, _IN_CHUNK):
        rows = connection.execute(
            sa.select(sa.func.lower(model.name), model.id)
            .where(sa.func.lower(model.name).in_(chunk)))
        found.update(rows.all())
    return found


def _insert_member_rows(connection: Connection, batch: tuple[dict, ...]) -> dict[str, int]:
    rows = [{column: member[column] for column in _MEMBER_COLUMNS} for member in batch]
    result = connection.execute(sa.insert(Member).returning(Member.username, Member.id), rows)
    return dict(result.all())


def _insert_links(connection: Connection, batch: tuple[dict, ...], member_ids: dict[str, int],
                  tag_ids: dict[str, dict[str, int]]) -> None:
    for key, _model, table, column in _TAGS:
        ids = tag_ids[key]
        links = [{"member_id": member_ids[member["username"]], column: tag_id}
                 for member in batch
                 for tag_id in {ids[name.lower()] for name in member[key]}]
        if links:
            connection.execute(sa.insert(table), links)


def _generate(n: int, seed: int, now: datetime | None) -> Iterator[dict]:
    rng = random.Random(seed)
    today = as_utc(now) if now else None
    today = today or utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    for number in range(1, n + 1):
        yield _member(rng, number, today)


def _member(rng: random.Random, number: int, now: datetime) -> dict:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    department, job_title = _job(rng)
    primary_role = _weighted(rng, PRIMARY_ROLE_WEIGHTS)
    signed_up = _signed_up(rng, now)
    last_activity = _last_activity(rng, signed_up, now, primary_role)
    return {
        "username": f"{first}.{last}{number}",
        "email": f"{first}.{last}{number}@{_domain(rng)}",
        "job_title": job_title,
        "department": department,
        "country": _weighted(rng, COUNTRY_WEIGHTS),
        "primary_role": primary_role,
        "custom_roles": _some(rng, CUSTOM_ROLE_WEIGHTS, NO_CUSTOM_ROLES_SHARE, (1, 2), (9, 1)),
        "groups": _some(rng, GROUP_WEIGHTS, NO_GROUPS_SHARE, (1, 2, 3), (6, 3, 1)),
        "badges": _some(rng, BADGE_WEIGHTS, NO_BADGES_SHARE, (1, 2, 3, 4), (5, 3, 1.5, 0.5)),
        "signed_up": signed_up,
        "last_activity": last_activity,
        "post_count": _post_count(rng) if last_activity else 0,
    }


def _weighted(rng: random.Random, weights: Mapping):
    return rng.choices(tuple(weights), weights=tuple(weights.values()))[0]


def _domain(rng: random.Random) -> str:
    return COMPANY_DOMAIN if rng.random() < EMPLOYEE_SHARE else rng.choice(CUSTOMER_DOMAINS)


def _job(rng: random.Random) -> tuple[str | None, str | None]:
    if rng.random() < UNKNOWN_JOB_SHARE:
        return None, None
    department = _weighted(rng, DEPARTMENT_WEIGHTS)
    return department, rng.choice(JOB_TITLES[department])


def _some(rng: random.Random, weights: Mapping[str, float], none_share: float,
          sizes: tuple[int, ...], size_weights: tuple[float, ...]) -> list[str]:
    """A few distinct names, the popular ones more often; often none at all."""
    if rng.random() < none_share:
        return []
    size = rng.choices(sizes, weights=size_weights)[0]
    picked: list[str] = []
    while len(picked) < size:
        name = _weighted(rng, weights)
        if name not in picked:
            picked.append(name)
    return sorted(picked)


def _signed_up(rng: random.Random, now: datetime) -> datetime:
    """Sign-ups grow over time: the density rises towards ``now``."""
    age = HISTORY.total_seconds() * (1 - rng.random() ** 0.5)
    return now - timedelta(seconds=int(age))


def _last_activity(rng: random.Random, signed_up: datetime, now: datetime,
                   primary_role: str) -> datetime | None:
    never_active = rng.random() < NEVER_ACTIVE_SHARE
    if never_active or primary_role == "Pending approval":
        return None
    since_signup = (now - signed_up).total_seconds()
    return now - timedelta(seconds=int(since_signup * rng.random() ** 3))


def _post_count(rng: random.Random) -> int:
    return min(int(rng.paretovariate(1.2)) - 1, MAX_POST_COUNT)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()
