"""The demo community's field provider and default segments, registered as a plain plugin."""

from __future__ import annotations

import sqlalchemy as sa

from ..fields import FilterField, Related
from ..flywheel import all_of, flywheel_segments, rule
from ..hooks import hookimpl
from .countries import COUNTRY_NAMES
from .models import (
    PRIMARY_ROLES,
    Badge,
    CustomRole,
    Group,
    Member,
    member_badges,
    member_custom_roles,
    member_groups,
)

COUNTRIES = ("AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW")  # ISO 3166-1 alpha-2  # noqa: E501


def _names(model):
    return lambda session: session.scalars(sa.select(model.name).order_by(model.name)).all()


def _related(link, tag_model, tag_column: str) -> Related:
    joined = link.join(tag_model.__table__, link.c[tag_column] == tag_model.__table__.c.id)
    return Related(joined, link.c.member_id, tag_model.__table__.c.name)


def demo_fields() -> list[FilterField]:
    m = Member
    return [
        FilterField(key="username", label="Username", type="text", category="Account",
                    column=m.username),
        FilterField(key="email", label="Email", type="text", category="Account", column=m.email),
        FilterField(key="job_title", label="Job title", type="text", column=m.job_title),
        FilterField(key="department", label="Department", type="text", column=m.department),
        FilterField(key="country", label="Country", type="enum", column=m.country,
                    choices=COUNTRIES, choice_labels=COUNTRY_NAMES),
        FilterField(key="primary_role", label="Primary role", type="enum", category="Roles",
                    column=m.primary_role, choices=PRIMARY_ROLES),
        FilterField(key="custom_roles", label="Custom roles", type="multi", category="Roles",
                    related=_related(member_custom_roles, CustomRole, "custom_role_id"),
                    choices=_names(CustomRole)),
        FilterField(key="groups", label="Groups", type="multi", category="Roles",
                    related=_related(member_groups, Group, "group_id"), choices=_names(Group)),
        FilterField(key="badges", label="Badges", type="multi", category="Engagement",
                    related=_related(member_badges, Badge, "badge_id"), choices=_names(Badge)),
        FilterField(key="signed_up", label="Signed up", type="date", category="Activity",
                    column=m.signed_up),
        FilterField(key="last_activity", label="Last activity", type="date", category="Activity",
                    column=m.last_activity),
        FilterField(key="post_count", label="Post count", type="number", category="Engagement",
                    column=m.post_count),
    ]


_rule, _all = rule, all_of
REGISTERED = _rule("primary_role", "equals", "Registered user")
EMPLOYEE = _rule("email", "contains", "@logoipsum.com")

FLYWHEEL_SEGMENTS = flywheel_segments(
    members=[REGISTERED],
    champion_signs=[_rule("post_count", "gte", 100),
                    _rule("badges", "has_any", ["Top contributor"]),
                    _rule("groups", "has_any", ["Champions"])])

EXAMPLE_SEGMENTS = [
    {"title": "Employees", "group": "People", "description": "Our own staff.",
     "criteria": _all(EMPLOYEE)},
    {"title": "Customer Success users", "group": "People",
     "description": "Registered members working in Customer Success.",
     "criteria": _all(_rule("department", "equals", "Customer Success"), REGISTERED)},
    {"title": "Product people", "group": "People", "description": "Members in Product.",
     "criteria": _all(_rule("department", "equals", "Product"))},
    {"title": "Non-US customers", "group": "People",
     "description": "Customers outside the United States (or with no country).",
     "criteria": _all(_rule("country", "not_equals", "US"),
                      _rule("email", "not_contains", "@logoipsum.com"))},
    {"title": "Not in a group", "group": "Housekeeping", "description": "Members in no group.",
     "criteria": _all(_rule("groups", "is_empty"))},
    {"title": "Without a badge", "group": "Housekeeping", "description": "No badge yet.",
     "criteria": _all(_rule("badges", "is_empty"))},
    {"title": "Active in the last 30 days", "group": "Housekeeping",
     "description": "Seen in the last 30 days.",
     "criteria": _all(_rule("last_activity", "less_than_days_ago", 30))},
    {"title": "Without a custom role", "group": "Housekeeping",
     "description": "Members with no custom role.",
     "criteria": _all(_rule("custom_roles", "is_empty"))},
    {"title": "Pending approval", "group": "Housekeeping",
     "description": "Waiting for an admin to approve them.",
     "criteria": _all(_rule("primary_role", "equals", "Pending approval"))},
]


class DemoPlugin:
    """The demo host's fields and default segments."""

    __name__ = "community_segments.demo"

    @hookimpl
    def segments_filter_fields(self, host):
        return demo_fields() if host.name == "demo" else []

    @hookimpl
    def segments_default_segments(self, host):
        return FLYWHEEL_SEGMENTS + EXAMPLE_SEGMENTS if host.name == "demo" else []


demo_plugin = DemoPlugin()
