"""The demo community's member profile: members and their groups, badges and custom roles."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from community_segments.base import table_of
from community_segments.types import UTCDateTime

db = SQLAlchemy()

if TYPE_CHECKING:  # db.Model is made at run time; type checkers see the declarative base
    from sqlalchemy.orm import DeclarativeBase as Model
else:
    Model = db.Model

PRIMARY_ROLES = ("Registered user", "Pending approval", "Moderator", "Administrator", "Banned")
DEFAULT_PRIMARY_ROLE = "Registered user"
DEPARTMENTS = (
    "Customer Success", "Product", "Engineering", "Sales",
    "Marketing", "Support", "Finance", "Operations",
)
GROUPS = ("Beta testers", "Champions", "Partners", "Developers", "Admins Circle", "Newsletter")
BADGES = ("First post", "Helpful", "Top contributor", "Early adopter", "Event speaker")
CUSTOM_ROLES = ("Community manager", "Ambassador", "Expert", "Translator")


def _association(name: str, tag_table: str, tag_column: str) -> sa.Table:
    """A member-to-tag link table, indexed both ways so "has" and "members of" are both cheap."""
    return db.Table(
        name,
        sa.Column("member_id", sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(tag_column, sa.ForeignKey(f"{tag_table}.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Index(f"ix_{name}_{tag_column}_member_id", tag_column, "member_id"),
    )


member_groups = _association("member_groups", "groups", "group_id")
member_badges = _association("member_badges", "badges", "badge_id")
member_custom_roles = _association("member_custom_roles", "custom_roles", "custom_role_id")


class _Tag:
    """A named label members can have many of."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)


class Group(_Tag, Model):
    __tablename__ = "groups"


class Badge(_Tag, Model):
    __tablename__ = "badges"


class CustomRole(_Tag, Model):
    __tablename__ = "custom_roles"


class Member(Model):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    email: Mapped[str] = mapped_column(sa.String(255), unique=True)
    # Seeded and imported members have no password: hashing a million of them would take hours.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    job_title: Mapped[str | None] = mapped_column(sa.String(120))
    department: Mapped[str | None] = mapped_column(sa.String(120), index=True)
    country: Mapped[str | None] = mapped_column(sa.String(2), index=True)
    primary_role: Mapped[str] = mapped_column(
        sa.Enum(*PRIMARY_ROLES, native_enum=False, create_constraint=True,
                name="ck_members_primary_role", length=32),
        default=DEFAULT_PRIMARY_ROLE, index=True,
    )
    signed_up: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_activity: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    post_count: Mapped[int] = mapped_column(default=0, server_default="0")

    groups: Mapped[list[Group]] = relationship(secondary=member_groups)
    badges: Mapped[list[Badge]] = relationship(secondary=member_badges)
    custom_roles: Mapped[list[CustomRole]] = relationship(secondary=member_custom_roles)

    def set_password(self, password: str) -> None:
        """Hashed by the app's ``DEMO_PASSWORD_METHOD`` (werkzeug's, default scrypt; the
        test suite, which logs in thousands of times, sets a cheap one)."""
        config = current_app.config if has_app_context() else {}
        method = config.get("DEMO_PASSWORD_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return self.password_hash is not None and check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.username!r}>"


DEMO_TABLES: tuple[sa.Table, ...] = (
    table_of(Member), table_of(Group), table_of(Badge), table_of(CustomRole),
    member_groups, member_badges, member_custom_roles,
)
