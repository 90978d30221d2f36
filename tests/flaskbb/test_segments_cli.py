"""``flaskbb segments``: our wheel installed in a real FlaskBB, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json

import pytest
from forum_members import compare_counts, sql_counts

FIELDS = {
    "username": "text", "email": "text", "location": "text", "website": "text",
    "language": "enum", "primary_role": "enum", "groups": "multi", "activated": "boolean",
    "signed_up": "date", "last_activity": "date", "birthday": "date", "post_count": "number",
}
DEFAULTS = ["Newcomers", "First contributors", "Regulars", "Champions", "Drifting away",
            "Pending approval"]
CHAMPIONS = json.dumps({"match": "all", "rules": [
    {"field": "groups", "op": "has_any", "value": ["Champions"]}]})
EXPECTED = {
    "champions": "SELECT count(DISTINCT gu.user_id) FROM groups_users gu JOIN groups g "
                 "ON g.id = gu.group_id WHERE g.name = 'Champions'",
    "pending": "SELECT count(*) FROM users WHERE activated = false",
}


@pytest.fixture(scope="module")
def expected(segments_site) -> dict[str, int]:
    """Counts by hand-written SQL, read once per site (members do not change)."""
    return sql_counts(segments_site, EXPECTED)


def segments(site, *args):
    code, out, err = site.cli("segments", *args)
    assert code == 0, err[-2000:]
    return out


def fails(site, *args) -> str:
    """The one-line reason of a command that must fail."""
    code, out, err = site.cli("segments", *args)
    assert code != 0, out
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in err, err[-2000:]
    return errors[0]


def test_fields_are_flaskbbs_and_the_third_party_one(segments_site):
    fields = {f["key"]: f for f in json.loads(segments(segments_site, "fields", "--json"))}
    assert {key: fields[key]["type"] for key in FIELDS} == FIELDS
    assert {fields[key]["provider"] for key in FIELDS} == {"community_segments.flaskbb"}
    assert fields["last_posted"]["provider"] == "segments_posts"
    assert fields["last_posted"]["type"] == "date"
    assert fields["segment"]["provider"] == "community_segments.segments"  # every host
    assert fields["segment"]["operators"] == ["in", "not_in"]
    assert set(fields) == set(FIELDS) | {"last_posted", "segment"}


CHOICES = """
import json
from community_segments.extension import get_state

registry = get_state(app).registry
print(json.dumps({key: registry[key].choice_list(db.session)
                  for key in ("language", "primary_role", "groups")}))
"""


def test_choices_come_from_the_forum(segments_site):
    choices = json.loads(segments_site.python(CHOICES))
    assert {"en", "de"} <= set(choices["language"])  # FlaskBB's translations, members' picks
    assert {"Administrator", "Member", "Banned", "Champions"} <= set(choices["primary_role"])
    assert choices["groups"] == choices["primary_role"] == sorted(choices["groups"])


def test_counts_match_hand_written_sql(segments_site):
    results = compare_counts(segments_site)
    wrong = [(criteria, ours, expected) for criteria, ours, expected in results
             if ours != expected]
    assert not wrong
    assert len({expected for *_, expected in results}) > 5  # the cases tell members apart


def test_count_command(segments_site, expected):
    assert int(segments(segments_site, "count", "--criteria", CHAMPIONS)) == expected["champions"]
    assert expected["champions"] > 0


def test_third_party_field_counts(segments_site):
    criteria = json.dumps({"match": "all", "rules": [
        {"field": "last_posted", "op": "less_than_days_ago", "value": 1}]})
    # `flaskbb install` posts the welcome topic as the admin, just now.
    assert segments(segments_site, "count", "--criteria", criteria).strip() == "1"


def test_members_as_json_and_csv(segments_site, expected):
    rows = json.loads(segments(segments_site, "members", "--criteria", CHAMPIONS))
    assert rows and all({"id", "username", "email", "primary_role"} <= set(r) for r in rows)
    assert len(rows) == expected["champions"]
    table = list(csv.DictReader(io.StringIO(segments(
        segments_site, "members", "--criteria", CHAMPIONS, "--format", "csv"))))
    assert [r["username"] for r in table] == [r["username"] for r in rows]


def test_create_list_and_delete(segments_site, expected):
    out = segments(segments_site, "create", "--title", "CLI champions", "--group", "Tests",
                   "--criteria", CHAMPIONS)
    assert out.startswith("Created segment ")
    listed = {r["title"]: r for r in json.loads(segments(segments_site, "list", "--json"))}
    assert listed["CLI champions"]["group"] == "Tests"
    assert listed["CLI champions"]["count"] == expected["champions"]
    assert segments(segments_site, "delete", "CLI champions").startswith("Deleted segment ")
    listed = json.loads(segments(segments_site, "list", "--json"))
    assert "CLI champions" not in {r["title"] for r in listed}


def test_seed_defaults_once(segments_site, expected):
    first = segments(segments_site, "seed-defaults")
    again = segments(segments_site, "seed-defaults")
    assert again.strip().endswith("0 default segments created")
    listed = {r["title"]: r for r in json.loads(segments(segments_site, "list", "--json"))}
    assert set(DEFAULTS) <= set(listed), first
    assert listed["Pending approval"]["count"] == expected["pending"] > 0
    assert all(listed[title]["error"] is None for title in DEFAULTS)


@pytest.mark.parametrize(("args", "reason"), [
    (["count", "--criteria", ('{"match": "all", "rules": [{"field": "post_count", '
                              '"op": "contains", "value": "1"}]}')],
     "rules[0].op: 'contains' is not an operator of number field 'post_count'"),
    (["count", "--criteria", '{"match": "all", "rules": [{"field": "karma", "op": "equals"}]}'],
     "karma"),
    (["count", "--criteria", "{not json"], "JSON"),
    (["delete", "No such segment"], "No such segment"),
])
def test_bad_input_exits_with_one_line(segments_site, args, reason):
    assert reason.lower() in fails(segments_site, *args).lower()
