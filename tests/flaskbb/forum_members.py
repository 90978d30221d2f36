"""Members of a test forum, made through FlaskBB's own models, and SQL to count them by.

The expected counts come from hand-written SQL over FlaskBB's tables, never from our
compiler, so a test compares two independent answers.
"""

from __future__ import annotations

import json

SEED = """
from datetime import datetime, timedelta, timezone
from flaskbb.user.models import Group, User

now = datetime.now(timezone.utc)
groups = {g.name: g for g in Group.query.all()}
champions = Group(name="Champions", description="Our most helpful members")
db.session.add(champions)
for i in range(16):
    user = User(
        username=f"seg{i:02d}",
        email=f"seg{i:02d}@" + ("logoipsum.com" if i % 4 == 1 else "example.org"),
        password="Seg12345!",
        primary_group=groups["Banned" if i == 15 else "Member"],
        activated=i % 5 != 0,
        post_count=[0, 3, 12, 150][i % 4],
        date_joined=now - timedelta(days=9 * i + 1),
        lastseen=None if i % 6 == 5 else now - timedelta(days=13 * i + 1),
        location=[None, "", "Vienna", "Wien, AT"][i % 4],
        language="de" if i % 3 == 0 else "en",
        website="https://100%_real.example" if i == 7 else None,
    )
    db.session.add(user)
    if i % 3 == 0:
        user.secondary_groups.append(champions)  # not add_to_group: FLASKBB.md gotcha 10
    if i % 7 == 0:
        user.secondary_groups.append(groups["Moderator"])
db.session.commit()
"""

# criteria -> SQL counting the same members (":cutoff30" is now - 30 days).
CASES = [
    ({"field": "primary_role", "op": "equals", "value": "member"},
     ("SELECT count(*) FROM users u JOIN groups g ON g.id = u.primary_group_id "
      "WHERE g.name = 'Member'")),
    ({"field": "primary_role", "op": "not_in", "value": ["Member", "Administrator"]},
     ("SELECT count(*) FROM users u JOIN groups g ON g.id = u.primary_group_id "
      "WHERE g.name NOT IN ('Member', 'Administrator')")),
    ({"field": "groups", "op": "has_any", "value": ["champions"]},
     ("SELECT count(DISTINCT gu.user_id) FROM groups_users gu JOIN groups g "
      "ON g.id = gu.group_id WHERE g.name = 'Champions'")),
    ({"field": "groups", "op": "has_all", "value": ["Champions", "Moderator"]},
     ("SELECT count(*) FROM users u WHERE 2 = (SELECT count(DISTINCT g.name) FROM groups_users gu "
      "JOIN groups g ON g.id = gu.group_id WHERE gu.user_id = u.id "
      "AND g.name IN ('Champions', 'Moderator'))")),
    ({"field": "groups", "op": "is_empty"},
     ("SELECT count(*) FROM users u WHERE NOT EXISTS "
      "(SELECT 1 FROM groups_users gu WHERE gu.user_id = u.id)")),
    ({"field": "activated", "op": "is_false"},
     "SELECT count(*) FROM users WHERE activated = false"),
    ({"match": "all", "rules": [{"field": "post_count", "op": "gte", "value": 10},
                                {"field": "last_activity", "op": "less_than_days_ago",
                                 "value": 30}]},
     "SELECT count(*) FROM users WHERE post_count >= 10 AND lastseen >= :cutoff30"),
    ({"field": "last_activity", "op": "more_than_days_ago", "value": 30},
     "SELECT count(*) FROM users WHERE lastseen IS NULL OR lastseen < :cutoff30"),
    ({"field": "email", "op": "ends_with", "value": "@LOGOIPSUM.com"},
     "SELECT count(*) FROM users WHERE lower(email) LIKE '%@logoipsum.com'"),
    ({"field": "location", "op": "is_empty"},
     "SELECT count(*) FROM users WHERE location IS NULL OR location = ''"),
    ({"field": "location", "op": "not_contains", "value": "wien"},
     "SELECT count(*) FROM users WHERE location IS NULL OR lower(location) NOT LIKE '%wien%'"),
    ({"field": "website", "op": "contains", "value": "100%_"},
     "SELECT count(*) FROM users WHERE website LIKE '%100!%!_%' ESCAPE '!'"),
    ({"field": "language", "op": "in", "value": ["de"]},
     "SELECT count(*) FROM users WHERE language = 'de'"),
    ({"field": "post_count", "op": "between", "value": [1, 12]},
     "SELECT count(*) FROM users WHERE post_count BETWEEN 1 AND 12"),
    ({"field": "signed_up", "op": "less_than_days_ago", "value": 30},
     "SELECT count(*) FROM users WHERE date_joined >= :cutoff30"),
    ({"field": "last_posted", "op": "is_not_empty"},
     "SELECT count(DISTINCT user_id) FROM posts WHERE user_id IS NOT NULL"),
]

COMPARE = """
import json, sys
from datetime import datetime, timedelta, timezone
from community_segments.extension import get_state

cases = json.loads(CASES)
cutoff = datetime.now(timezone.utc) - timedelta(days=30)
if db.engine.dialect.name == "sqlite":  # stored as naive UTC text
    cutoff = cutoff.replace(tzinfo=None)
service = get_state(app).service()
answers = []
for criteria, sql in cases:
    params = {"cutoff30": cutoff} if ":cutoff30" in sql else {}
    expected = db.session.execute(db.text(sql), params).scalar_one()
    answers.append([service.count(criteria), expected])
print(json.dumps(answers))
"""


def seed_members(site) -> None:
    site.python(SEED)


def as_group(criteria: dict) -> dict:
    return criteria if "match" in criteria else {"match": "all", "rules": [criteria]}


def sql_counts(site, queries: dict[str, str]) -> dict[str, int]:
    """``{name: count}`` for ``{name: SQL}``, in one app start."""
    code = (f"import json\nqueries = {queries!r}\n"
            "print(json.dumps({name: db.session.execute(db.text(sql)).scalar_one()"
            " for name, sql in queries.items()}))")
    return json.loads(site.python(code))


def compare_counts(site) -> list[tuple[dict, int, int]]:
    """(criteria, our count, SQL count) for every case, in one app start."""
    cases = [[as_group(c), sql] for c, sql in CASES]
    code = f"CASES = {json.dumps(cases)!r}\n" + COMPARE
    answers = json.loads(site.python(code))
    return [(criteria, ours, expected)
            for (criteria, _), (ours, expected) in zip(cases, answers, strict=True)]
