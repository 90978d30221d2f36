"""The "Adoption flywheel" default segments, built once for every host.

Hosts differ in who counts as a member (the demo's "Registered user" role, FlaskBB's
activated "Member" group), in what marks a champion (the demo also has badges) and in
some wording; those are the parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

FLYWHEEL = "Adoption flywheel"

DESCRIPTIONS = {
    "Newcomers": "Joined in the last 30 days: welcome them and show them around.",
    "First contributors": "Have posted, but fewer than 10 times: encourage the next step.",
    "Regulars": "10 posts or more and active this month: the community's backbone.",
    "Champions": "Top contributors: invite them to speak, moderate and advocate.",
    "Drifting away": "Have posted before but not been seen for 60 days: win them back.",
}


def rule(field: str, op: str, value: Any = None) -> dict:
    return {"field": field, "op": op, **({} if value is None else {"value": value})}


def all_of(*rules: dict) -> dict:
    return {"match": "all", "rules": list(rules)}


def flywheel_segments(members: Sequence[dict], champion_signs: Sequence[dict],
                      descriptions: Mapping[str, str] | None = None) -> list[dict]:
    """The five flywheel segments; ``members`` are the rules every one of them starts
    with, ``champion_signs`` the rules of which a champion meets any."""
    described = {**DESCRIPTIONS, **(descriptions or {})}
    criteria = {
        "Newcomers": (rule("signed_up", "less_than_days_ago", 30),),
        "First contributors": (rule("post_count", "between", [1, 9]),),
        "Regulars": (rule("post_count", "gte", 10),
                     rule("last_activity", "less_than_days_ago", 30)),
        "Champions": ({"match": "any", "rules": list(champion_signs)},),
        "Drifting away": (rule("post_count", "gte", 1),
                          rule("last_activity", "more_than_days_ago", 60)),
    }
    return [{"title": title, "group": FLYWHEEL, "description": described[title],
             "criteria": all_of(*members, *rules)} for title, rules in criteria.items()]
