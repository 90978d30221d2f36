"""Value suggestions: counts equal the counts of ``equals``/``has_any`` criteria, on every
database; case-insensitive matching with non-ASCII letters; sampling says "about"."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from community_segments.demo.app import create_app
from community_segments.demo.models import Badge, Member, db, member_badges
from community_segments.demo.seed import seed_database
from community_segments.errors import NotFound, ValidationError
from community_segments.extension import get_state

ODD = [  # non-ASCII case variants must be counted together, as equals counts them
    ("ünter1", "Ünternehmen", "Ñandú Lead"), ("ünter2", "ünternehmen", "ñandú lead"),
    ("ünter3", "ÜNTERNEHMEN", "Senior ÑANDÚ"), ("école1", "École", "100% _x_"),
    ("école2", "école", None), ("blank", "", ""),
]


@pytest.fixture
def app(db_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        seed_database(db.session, 300, seed=11)
        db.session.execute(sa.insert(Member), [
            {"username": name, "email": f"{name}@example.org", "department": dept,
             "job_title": title, "primary_role": "Registered user"} for name, dept, title in ODD])
        db.session.execute(sa.insert(Badge), [{"name": "Été"}])
        ete = db.session.scalars(sa.select(Badge.id).where(Badge.name == "Été")).one()
        ids = db.session.scalars(sa.select(Member.id).where(Member.username.in_(["ünter1", "ünter2"])))
        db.session.execute(sa.insert(member_badges), [{"member_id": i, "badge_id": ete} for i in ids])
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def _count(service, field, value):
    op = "has_any" if field in ("groups", "badges", "custom_roles") else "equals"
    value = [value] if op == "has_any" else value
    return service.count({"match": "all", "rules": [{"field": field, "op": op, "value": value}]})


@pytest.mark.parametrize("field", ["department", "job_title", "country", "primary_role",
                                   "groups", "badges", "custom_roles"])
def test_counts_equal_equals_criteria(app, field):
    suggester, service = get_state(app).suggester(), get_state(app).service()
    found = suggester.suggest(field, "", 100)
    assert found.items and not found.about
    for item in found.items:
        assert item["count"] == _count(service, field, item["value"]), item
    counts = [item["count"] for item in found.items]
    assert counts == sorted(counts, reverse=True)


def test_non_ascii_case_variants_count_together(app):
    service = get_state(app).service()
    for typed in ("ün", "ÜN", "Ün", "ünter"):
        items = get_state(app).suggester().suggest("department", typed, 10).items
        assert [i["count"] for i in items] == [3], (typed, items)
        assert items[0]["value"].lower() == "ünternehmen"
        assert items[0]["count"] == _count(service, "department", "ÜNTERNEHMEN")
    items = get_state(app).suggester().suggest("department", "ÉCO", 10).items
    assert [(i["value"].lower(), i["count"]) for i in items] == [("école", 2)]


def test_prefix_first_then_contains(app):
    items = get_state(app).suggester().suggest("job_title", "ñandú", 10).items
    assert [(i["value"].lower(), i["count"]) for i in items] == [("ñandú lead", 2),
                                                                ("senior ñandú", 1)]
    items = get_state(app).suggester().suggest("job_title", "%", 10).items  # literally
    assert [i["value"] for i in items] == ["100% _x_"]


def test_multi_non_ascii_and_empty_values_left_out(app):
    items = get_state(app).suggester().suggest("badges", "ÉT", 10).items
    assert [(i["value"], i["count"]) for i in items] == [("Été", 2)]
    everything = get_state(app).suggester().suggest("department", "", 100).items
    assert "" not in [i["value"] for i in everything]


def test_limit_and_labels(app):
    items = get_state(app).suggester().suggest("country", "", 3).items
    assert len(items) == 3
    assert all(i["label"].endswith(f"({i['value']})") for i in items)
    by_name = get_state(app).suggester().suggest("country", "united st", 5).items
    assert [i["value"] for i in by_name] == ["US"]


def test_sample_is_marked_about(app):
    state = get_state(app)
    suggester = state.suggester()
    suggester.exact_up_to, suggester.sample_size, suggester.cache = 10, 100, None
    found = suggester.suggest("department", "", 5)
    assert found.about and 0 < found.sampled <= 120
    assert sum(i["count"] for i in found.items) > 0


def test_answers_are_cached_for_a_while(app):
    state = get_state(app)
    first = state.suggester().suggest("department", "eng", 5)
    db.session.execute(sa.update(Member).values(department="Engineering"))
    db.session.commit()
    assert state.suggester().suggest("department", "ENG", 5) == first
    state.value_cache.entries.clear()
    state.evaluation_session().rollback()  # a new request: MariaDB's snapshot ends with it
    assert state.suggester().suggest("department", "eng", 5).items[0]["count"] == 306


@pytest.mark.parametrize(("key", "prefix", "limit", "error", "words"), [
    ("shoe_size", "", 10, NotFound, "no field 'shoe_size'"),
    ("post_count", "", 10, ValidationError, "number field 'post_count' has no values"),
    ("department", "", 0, ValidationError, "limit"),
    ("department", "", 101, ValidationError, "limit"),
    ("department", "a\x00", 10, ValidationError, "prefix"),
    ("department", "\ud800", 10, ValidationError, "prefix"),
])
def test_bad_requests(app, key, prefix, limit, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(")):
        get_state(app).suggester().suggest(key, prefix, limit)


def test_cli_prints_value_tab_count(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["segments", "values", "department", "--prefix", "ün"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{result.output.split(chr(9))[0]}\t3"]
    result = runner.invoke(args=["segments", "values", "country", "--limit", "2", "--json"])
    data = json.loads(result.output)
    assert len(data["values"]) == 2 and data["about"] is False
    result = runner.invoke(args=["segments", "values", "post_count"])
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "has no values to suggest" in result.output
