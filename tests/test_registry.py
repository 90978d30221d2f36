"""Field providers, the registry's clash detection, the hookspecs, and readable sentences."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from community_segments import FilterField, Host, Related, Segments, get_state, hookimpl
from community_segments.errors import DuplicateFieldError
from community_segments.hooks import SegmentsSpec, make_plugin_manager
from community_segments.query.parse import parse_criteria
from community_segments.query.sentence import describe
from community_segments.registry import FieldRegistry

from .generic_host import make_app

TESTS = Path(__file__).parent
metadata = sa.MetaData()
people = sa.Table("rg_people", metadata, sa.Column("id", sa.Integer, primary_key=True),
                  sa.Column("department", sa.String(80)), sa.Column("role", sa.String(40)),
                  sa.Column("karma", sa.Integer), sa.Column("last_active", sa.DateTime),
                  sa.Column("birthday", sa.Date), sa.Column("activated", sa.Boolean))
memberships = sa.Table("rg_groups", metadata, sa.Column("person_id", sa.Integer),
                       sa.Column("name", sa.String(40)))


class JobPlugin:
    """A third-party provider, as a profile-fields plugin would write it."""

    __name__ = "tests.jobs"

    @hookimpl
    def segments_filter_fields(self, host):
        return [FilterField(key="department", label="Department", type="text",
                            column=people.c.department, category="Work")]


class KarmaClash:
    __name__ = "tests.karma_clash"

    @hookimpl
    def segments_filter_fields(self, host):
        return [FilterField(key="karma", label="Karma (badges)", type="number", column=people.c.karma)]


class NotAField:
    __name__ = "tests.not_a_field"

    @hookimpl
    def segments_filter_fields(self, host):
        return [{"key": "oops"}]


@pytest.fixture
def pm():
    """Our plugin manager with one plugin registered for the test and unregistered after."""
    pm = make_plugin_manager(entry_points=False)
    plugin = JobPlugin()
    pm.register(plugin, name=plugin.__name__)
    yield pm
    pm.unregister(plugin)
    assert not pm.get_plugins()


HOST = Host("test", user_model=None)


def test_fields_from_the_hook_keep_their_provider(pm):
    registry = FieldRegistry.from_plugins(pm, HOST)
    assert [(f.key, f.provider, f.category) for f in registry] == [("department", "tests.jobs", "Work")]


def test_unregistered_plugin_offers_nothing(pm):
    (plugin,) = pm.get_plugins()
    pm.unregister(plugin)
    assert len(FieldRegistry.from_plugins(pm, HOST)) == 0
    pm.register(plugin, name=plugin.__name__)  # the fixture unregisters it again


def test_generic_host_providers(tmp_path):
    app, _, _ = make_app(f"sqlite:///{tmp_path / 'x.sqlite'}", plugins=[JobPlugin()])
    providers = {f.key: f.provider for f in get_state(app).registry}
    assert providers == {"username": "community_segments.columns", "email": "community_segments.columns",
                         "karma": "community_segments.columns", "verified": "community_segments.columns",
                         "signed_up": "community_segments.columns", "tags": "tests.tags",
                         "department": "tests.jobs", "segment": "community_segments.segments"}


def test_duplicate_key_names_both_providers_at_construction(tmp_path):
    with pytest.raises(DuplicateFieldError) as caught:
        make_app(f"sqlite:///{tmp_path / 'x.sqlite'}", plugins=[KarmaClash()])
    message = str(caught.value)
    assert "'karma'" in message
    assert "'community_segments.columns'" in message and "'tests.karma_clash'" in message


def test_duplicate_key_at_init_app():
    db = SQLAlchemy()

    class User(db.Model):
        __tablename__ = "rg_users"
        id = sa.Column(sa.Integer, primary_key=True)
        username = sa.Column(sa.String(40))
        email = sa.Column(sa.String(40))
        karma = sa.Column(sa.Integer)

    segments = Segments(db=db, user_model=User, plugins=[KarmaClash()], entry_points=False, web=False)
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db.init_app(app)
    with pytest.raises(DuplicateFieldError, match="tests.karma_clash"):
        segments.init_app(app)
    assert "community_segments" not in app.extensions


def test_a_provider_returning_something_else_is_named(pm):
    bad = NotAField()
    pm.register(bad, name=bad.__name__)
    try:
        with pytest.raises(TypeError, match=r"plugin 'tests\.not_a_field' returned .*FilterField"):
            FieldRegistry.from_plugins(pm, HOST)
    finally:
        pm.unregister(bad)
    with pytest.raises(TypeError, match="is not a FilterField"):
        FieldRegistry().add({"key": "oops"})


def test_field_needs_its_expression():
    with pytest.raises(ValueError, match="multi field 'groups' needs related"):
        FilterField(key="groups", label="Groups", type="multi", column=people.c.role)
    with pytest.raises(ValueError, match="text field 'x' needs column"):
        FilterField(key="x", label="X", type="text")


# -- hookspecs: documented and tested --------------------------------------------------------

HOOKS = [name for name, _ in inspect.getmembers(SegmentsSpec, inspect.isfunction)
         if name.startswith("segments_")]


def test_there_are_hookspecs():
    assert set(HOOKS) >= {"segments_filter_fields", "segments_default_segments"}


@pytest.mark.parametrize("name", HOOKS)
def test_every_hookspec_is_documented_and_implemented_by_a_test(name):
    doc = inspect.getdoc(getattr(SegmentsSpec, name))
    assert doc and ":param host:" in doc and ":return:" in doc
    implemented = [p.name for p in TESTS.glob("*.py") if p.name != Path(__file__).name
                   and re.search(rf"@hookimpl\s+def {name}\(", p.read_text())]
    assert implemented, f"no test implements {name}"


# -- sentences --------------------------------------------------------------------------------

SENTENCE_FIELDS = FieldRegistry([
    FilterField(key="department", label="Department", type="text", column=people.c.department),
    FilterField(key="primary_role", label="Primary role", type="enum", column=people.c.role,
                choices=["Registered user", "Moderator", "Administrator"]),
    FilterField(key="post_count", label="Post count", type="number", column=people.c.karma),
    FilterField(key="last_activity", label="Last activity", type="date", column=people.c.last_active),
    FilterField(key="birthday", label="Birthday", type="date", column=people.c.birthday),
    FilterField(key="activated", label="Activated", type="boolean", column=people.c.activated),
    FilterField(key="groups", label="Groups", type="multi",
                related=Related(memberships, memberships.c.person_id, memberships.c.name)),
])


def rule(field, op, value=None):
    return {"field": field, "op": op, **({} if value is None else {"value": value})}


SENTENCES = [
    ({"match": "all", "rules": [rule("department", "equals", "Customer Success"),
                                rule("primary_role", "equals", "registered USER")]},
     "Department equals Customer Success and Primary role is Registered user"),
    ({"match": "any", "rules": [rule("primary_role", "not_equals", "Moderator"),
                                rule("department", "contains", "@logoipsum.com")]},
     "Primary role is not Moderator or Department contains @logoipsum.com"),
    ({"match": "all", "rules": [rule("groups", "is_empty")]}, "Groups is empty"),
    ({"match": "all", "rules": [rule("last_activity", "less_than_days_ago", 30)]},
     "Last activity less than 30 days ago"),
    ({"match": "all", "rules": [rule("last_activity", "more_than_days_ago", 1)]},
     "Last activity more than 1 day ago"),
    ({"match": "all", "rules": [rule("post_count", "between", [3, 10])]}, "Post count is between 3 and 10"),
    ({"match": "all", "rules": [rule("birthday", "between", ["2026-01-01", "2026-01-31"])]},
     "Birthday is between 2026-01-01 and 2026-01-31"),
    ({"match": "all", "rules": [rule("birthday", "before", "2000-01-01")]}, "Birthday is before 2000-01-01"),
    ({"match": "all", "rules": [rule("groups", "has_any", ["Staff", "Beta", "VIP"])]},
     "Groups has any of Staff, Beta or VIP"),
    ({"match": "all", "rules": [rule("groups", "has_all", ["Staff", "Beta"])]},
     "Groups has all of Staff and Beta"),
    ({"match": "all", "rules": [rule("groups", "has_none", ["Banned"])]}, "Groups has none of Banned"),
    ({"match": "all", "rules": [rule("primary_role", "in", ["Moderator", "Administrator"])]},
     "Primary role is any of Moderator or Administrator"),
    ({"match": "all", "rules": [rule("activated", "is_false"), rule("post_count", "gte", 5)]},
     "Activated is false and Post count is at least 5"),
    ({"match": "all", "rules": [
        rule("activated", "is_true"),
        {"match": "any", "rules": [rule("post_count", "gt", 100), rule("groups", "has_any", ["Staff"])]}]},
     "Activated is true and (Post count is greater than 100 or Groups has any of Staff)"),
    ({"match": "any", "rules": [
        {"match": "all", "rules": [rule("department", "is_empty"), rule("post_count", "lt", 1)]},
        {"match": "all", "rules": [rule("department", "starts_with", "Sales"),
                                   {"match": "any", "rules": [rule("birthday", "is_not_empty"),
                                                              rule("post_count", "is_empty")]}]}]},
     "(Department is empty and Post count is less than 1) or "
     "(Department starts with Sales and (Birthday is not empty or Post count is empty))"),
    ({"match": "all", "rules": [{"match": "any", "rules": [rule("department", "ends_with", "Ops")]}]},
     "Department ends with Ops"),
    ({"match": "all", "rules": []}, "All members"),
]


@pytest.mark.parametrize(("criteria", "sentence"), SENTENCES, ids=[s for _, s in SENTENCES])
def test_describe(criteria, sentence):
    assert describe(parse_criteria(criteria, SENTENCE_FIELDS), SENTENCE_FIELDS) == sentence
