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
