"""The 24 segments of the benchmark: the 14 demo defaults and 10 realistic others.

The others share conditions with the defaults and with each other, as real ones do.
"""

from __future__ import annotations

from community_segments.demo.fields import (
    EMPLOYEE,
    EXAMPLE_SEGMENTS,
    FLYWHEEL_SEGMENTS,
    REGISTERED,
    _all,
    _rule,
)

EUROPE = ["GB", "DE", "FR", "NL", "ES", "SE", "IT", "PL"]
ACTIVE = _rule("last_activity", "less_than_days_ago", 30)


def _any(*rules):
    return {"match": "any", "rules": list(rules)}


OTHER_SEGMENTS = [
    ("US members", _all(_rule("country", "equals", "US"), REGISTERED)),
    ("Engineers in Europe", _all(_rule("department", "equals", "Engineering"),
                                 _rule("country", "in", EUROPE))),
    ("Active beta testers", _all(_rule("groups", "has_any", ["Beta testers"]), ACTIVE)),
    ("Lapsed employees", _all(EMPLOYEE, _rule("last_activity", "more_than_days_ago", 60))),
    ("Helpful newcomers", _all(_rule("badges", "has_any", ["Helpful"]),
                               _rule("signed_up", "less_than_days_ago", 30))),
    ("Ambassadors and experts", _all(_rule("custom_roles", "has_any", ["Ambassador", "Expert"]))),
    ("Developer testers without a badge", _all(
        _rule("groups", "has_all", ["Developers", "Beta testers"]), _rule("badges", "is_empty"))),
    ("Quiet members", _all(_rule("post_count", "equals", 0), REGISTERED)),
    ("Staff roles", _all(_rule("primary_role", "in", ["Moderator", "Administrator"]))),
    ("Non-engineering regulars", _all(
        _rule("department", "not_equals", "Engineering"), _rule("post_count", "gte", 10),
        _any(ACTIVE, _rule("badges", "has_any", ["Top contributor"])))),
]

SEGMENTS = ([(s["title"], s["criteria"]) for s in FLYWHEEL_SEGMENTS + EXAMPLE_SEGMENTS]
            + OTHER_SEGMENTS)


# Conditions the generated segments draw on: each segment picks two or three, so that
# 96 segments share about 58 distinct conditions, as the issue-15 measurement had it.
POOL = (
    [_rule("country", "equals", c) for c in ("US", "GB", "DE", "FR", "NL", "ES", "SE", "IT",
                                             "PL", "CA", "BR", "IN")]
    + [_rule("department", "equals", d) for d in ("Engineering", "Product", "Customer Success",
                                                  "Sales", "Marketing", "Finance")]
    + [_rule("primary_role", "equals", r) for r in ("Registered user", "Moderator",
                                                    "Pending approval", "Administrator")]
    + [_rule("post_count", "gte", n) for n in (1, 5, 10, 25, 50, 100, 250)]
    + [_rule("post_count", "lte", n) for n in (0, 3, 20)]
    + [_rule("last_activity", "less_than_days_ago", d) for d in (7, 30, 60, 90, 180)]
    + [_rule("signed_up", "less_than_days_ago", d) for d in (30, 90, 365, 730)]
    + [_rule("groups", "has_any", [g]) for g in ("Champions", "Beta testers", "Developers",
                                                 "Partners", "Newsletter")]
    + [_rule("badges", "has_any", [b]) for b in ("Top contributor", "Helpful")]
    + [_rule("badges", "is_empty"), _rule("groups", "is_empty"),
       _rule("custom_roles", "is_not_empty"), _rule("email", "contains", "@logoipsum.com"),
       _rule("custom_roles", "has_any", ["Ambassador"]), _rule("job_title", "contains", "senior")]
)


def generated(count: int, seed: int = 15) -> list[tuple[str, dict]]:
    """``count`` reproducible segments of two or three pooled conditions, ALL or ANY."""
    import random
    pick = random.Random(seed)
    found = []
    for number in range(count):
        rules = pick.sample(POOL, pick.choice((2, 3)))
        match = "all" if pick.random() < 0.7 else "any"
        found.append((f"Generated {number + 1}", {"match": match, "rules": rules}))
    return found


def scaled(count: int) -> list[tuple[str, dict]]:
    """The benchmark's segments for a segment count: 6 and 24 from SEGMENTS, more generated."""
    if count <= len(SEGMENTS):
        return SEGMENTS[:count]
    return SEGMENTS + generated(count - len(SEGMENTS))
