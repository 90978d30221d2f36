"""FlaskBB's member fields, member view and default segments, registered as a plain plugin.

Every expression is over FlaskBB's own tables (``users``, ``groups``, ``groups_users``),
so a segment stays one SQL query.
"""

from __future__ import annotations

import sqlalchemy as sa
from flaskbb.user.models import Group, User, groups_users
from flaskbb.utils.helpers import get_available_languages

from ...fields import FilterField, Lookup, Related
from ...flywheel import all_of, flywheel_segments, rule
from ...hooks import hookimpl
from ...members import MemberView

HOST = "flaskbb"
GROUPS = Group.__table__


def primary_role() -> sa.ScalarSelect:
    """The name of the member's primary group: a correlated lookup by primary key."""
    return (sa.select(GROUPS.c.name).where(GROUPS.c.id == User.primary_group_id)
            .scalar_subquery())


def primary_group() -> Lookup:
    """Filters on the primary group compare ``users.primary_group_id`` (see docs/FLASKBB.md)."""
    return Lookup(User.primary_group_id, GROUPS.c.id, GROUPS.c.name)


def secondary_groups() -> Related:
    joined = groups_users.join(GROUPS, groups_users.c.group_id == GROUPS.c.id)
    return Related(joined, groups_users.c.user_id, GROUPS.c.name)


def group_names(session) -> list[str]:
    return list(session.scalars(sa.select(GROUPS.c.name).order_by(GROUPS.c.name)))


def languages(session) -> list[str]:
    """The forum's translations and every language a member has chosen."""
    chosen = session.scalars(sa.select(User.language).distinct()
                             .where(User.language.is_not(None), User.language != ""))
    return sorted({code for code, _name in get_available_languages()} | set(chosen))


def _text(key: str, label: str, column, category: str = "Profile") -> FilterField:
    return FilterField(key=key, label=label, type="text", category=category, column=column)


def flaskbb_fields() -> list[FilterField]:
    return [
        _text("username", "Username", User.username, "Account"),
        _text("email", "Email", User.email, "Account"),
        _text("location", "Location", User.location),
        _text("website", "Website", User.website),
        FilterField(key="language", label="Language", type="enum", column=User.language,
                    choices=languages),
        FilterField(key="primary_role", label="Primary role", type="enum", category="Roles",
                    column=primary_role(), lookup=primary_group(), choices=group_names,
                    description="The member's primary FlaskBB group."),
        FilterField(key="groups", label="Groups", type="multi", category="Roles",
                    related=secondary_groups(), choices=group_names,
                    description="The member's secondary FlaskBB groups."),
        FilterField(key="activated", label="Activated", type="boolean", category="Account",
                    column=User.activated),
        FilterField(key="signed_up", label="Signed up", type="date", category="Activity",
                    column=User.date_joined),
        FilterField(key="last_activity", label="Last activity", type="date",
                    category="Activity", column=User.lastseen),
        FilterField(key="birthday", label="Birthday", type="date", column=User.birthday),
        FilterField(key="post_count", label="Post count", type="number", category="Engagement",
                    column=User.post_count),
    ]


def member_view() -> MemberView:
    columns = {"id": User.id, "username": User.username, "email": User.email,
               "primary_role": primary_role(), "post_count": User.post_count,
               "signed_up": User.date_joined, "last_activity": User.lastseen,
               "location": User.location, "language": User.language,
               "activated": User.activated}
    return MemberView(model=User, columns=columns,
                      sortable=tuple(name for name in columns if name != "id"))  # all shown


MEMBER = (rule("activated", "is_true"), rule("primary_role", "equals", "Member"))

DEFAULT_SEGMENTS = [
    *flywheel_segments(
        members=MEMBER,
        champion_signs=[rule("post_count", "gte", 100), rule("groups", "has_any", ["Champions"])],
        descriptions={
            "Newcomers": "Activated members who joined in the last 30 days: welcome them.",
            "Regulars": "10 posts or more and seen this month: the forum's backbone.",
            "Champions": "100 posts or more, or in the secondary group \"Champions\".",
        }),
    {"title": "Pending approval", "group": "Housekeeping",
     "description": "Accounts not activated yet.",
     "criteria": all_of(rule("activated", "is_false"))},
]


class FlaskBBFields:
    """FlaskBB's member fields and default segments (host ``flaskbb`` only)."""

    __name__ = "community_segments.flaskbb"

    @hookimpl
    def segments_filter_fields(self, host):
        return flaskbb_fields() if host.name == HOST else []

    @hookimpl
    def segments_default_segments(self, host):
        return DEFAULT_SEGMENTS if host.name == HOST else []


flaskbb_plugin = FlaskBBFields()
