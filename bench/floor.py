"""The floor: each distinct condition of the 24 benchmark segments counted once, by hand.

Written as an engineer would write them for these tables, with the same meaning as the
compiled conditions (case-insensitive text, multi fields as ``EXISTS`` semi-joins).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from community_segments.types import UTCDateTime


def _has(link: str, tag_table: str, tag_column: str, *names: str) -> str:
    values = ", ".join(f"'{name}'" for name in names)
    return (f"EXISTS (SELECT 1 FROM {link} l JOIN {tag_table} t ON t.id = l.{tag_column} "
            f"WHERE l.member_id = members.id AND lower(t.name) IN ({values}))")


def _any(link: str) -> str:
    return f"EXISTS (SELECT 1 FROM {link} l WHERE l.member_id = members.id)"


GROUPS = ("member_groups", "groups", "group_id")
BADGES = ("member_badges", "badges", "badge_id")
ROLES = ("member_custom_roles", "custom_roles", "custom_role_id")

CONDITIONS = [
    "lower(primary_role) = 'registered user'",
    "lower(primary_role) = 'pending approval'",
    "lower(primary_role) IN ('moderator', 'administrator')",
    "signed_up >= :days30",
    "last_activity >= :days30",
    "last_activity >= :days60",
    "post_count BETWEEN 1 AND 9",
    "post_count >= 1",
    "post_count >= 10",
    "post_count >= 100",
    "post_count = 0",
    "lower(email) LIKE '%@logoipsum.com%'",
    "lower(department) = 'customer success'",
    "lower(department) = 'product'",
    "lower(department) = 'engineering'",
    "lower(country) = 'us'",
    "lower(country) IN ('gb', 'de', 'fr', 'nl', 'es', 'se', 'it', 'pl')",
    _has(*BADGES, "top contributor"),
    _has(*BADGES, "helpful"),
    _has(*GROUPS, "champions"),
    _has(*GROUPS, "beta testers"),
    _has(*GROUPS, "developers"),
    _has(*ROLES, "ambassador", "expert"),
    _any("member_groups"),
    _any("member_badges"),
    _any("member_custom_roles"),
]


def floor_queries(now: datetime) -> list[sa.TextClause]:
    cutoffs = {"days30": now - timedelta(days=30), "days60": now - timedelta(days=60)}
    queries = []
    for condition in CONDITIONS:
        query = sa.text(f"SELECT count(*) FROM members WHERE {condition}")
        used = [name for name in cutoffs if f":{name}" in condition]
        if used:
            query = query.bindparams(*(sa.bindparam(n, cutoffs[n], type_=UTCDateTime) for n in used))
        queries.append(query)
    return queries
