"""``flask segments`` in the generic host: every command, exact output, one-line errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest
import sqlalchemy as sa

from community_segments import hookimpl
from community_segments.query.operators import BY_TYPE

from .generic_host import make_app

BETA = json.dumps({"match": "all", "rules": [{"field": "tags", "op": "has_any", "value": ["beta"]}]})
EVERYONE = '{"match": "all", "rules": []}'


class DefaultSegments:
    __name__ = "tests.defaults"

    @hookimpl
    def segments_default_segments(self, host):
        return [
            {"title": "Verified", "group": "Basics",
             "criteria": {"match": "all", "rules": [{"field": "verified", "op": "is_true"}]}},
            {"title": "High karma", "description": "karma 10+",
             "criteria": {"match": "all", "rules": [{"field": "karma", "op": "gte", "value": 10}]}},
            {"title": "Broken", "criteria": {"rules": [{"field": "nope", "op": "is_empty"}]}},
        ]


@pytest.fixture
def app(db_url):
    app, db, User = make_app(db_url, plugins=[DefaultSegments()])
    with app.app_context():
        db.session.add_all([
            User(id=1, username="ann", email="ann@corp.com", karma=12, verified=True,
                 signed_up=datetime(2026, 1, 2, 3, 4, 5)),
            User(id=2, username="ben", email="ben@mail.com", karma=3, verified=False),
            User(id=3, username="cid", email="cid@corp.com", karma=None, verified=True),
            User(id=4, username="dee", email="dee, \"the\" one@mail.com", karma=40, verified=False),
        ])
        db.session.commit()
        db.session.execute(sa.insert(app.tags), [{"user_id": 1, "tag": "beta"},
                                                 {"user_id": 4, "tag": "Beta"}])
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def run(*args, ok=True):
        result = runner.invoke(args=["segments", *args])
        assert (result.exit_code == 0) == ok, (result.output, result.exception)
        if ok:
            assert result.exception is None
        return result
    return run


def test_fields_json(run):
    rows = json.loads(run("fields", "--json").stdout)
    by_key = {row["key"]: row for row in rows}
    assert set(by_key) == {"username", "email", "karma", "verified", "signed_up", "tags",
                           "segment"}  # built in on every host
    assert by_key["segment"]["operators"] == ["in", "not_in"]
    assert by_key["karma"] == {"key": "karma", "label": "Karma", "type": "number",
                               "category": "Profile", "operators": list(BY_TYPE["number"]),
                               "provider": "community_segments.columns"}
    assert by_key["tags"]["provider"] == "tests.tags"
    assert by_key["tags"]["operators"] == ["has_any", "has_all", "has_none", "is_empty", "is_not_empty"]


def test_fields_text(run):
    lines = run("fields").stdout.splitlines()
    assert len(lines) == 7  # the host's six and the built-in `segment`
    tags = next(line for line in lines if line.startswith("tags "))
    assert tags.split(None, 3) == ["tags", "multi", "tests.tags",
                                   "has_any, has_all, has_none, is_empty, is_not_empty"]


def test_count_by_criteria_and_by_segment(run):
    assert run("count", "--criteria", BETA).stdout == "2\n"
    assert run("count", "--criteria", EVERYONE).stdout == "4\n"
    assert run("create", "--title", "Beta", "--criteria", BETA).stdout == \
        "Created segment 1: Beta (2 members)\n"
    assert run("count", "Beta").stdout == "2\n"
    assert run("count", "1").stdout == "2\n"


def test_count_criteria_from_file(run, tmp_path):
    path = tmp_path / "criteria.json"
    path.write_text(BETA)
    assert run("count", "--criteria", f"@{path}").stdout == "2\n"


def test_members_json_is_one_array(run):
    out = run("members", "--criteria", BETA).stdout
    rows = json.loads(out)
    assert [(r["id"], r["username"], r["email"]) for r in rows] == [
        (1, "ann", "ann@corp.com"), (4, "dee", 'dee, "the" one@mail.com')]
    assert rows[0]["signed_up"] == "2026-01-02T03:04:05"
    assert json.loads(run("members", "--criteria", '{"rules": [{"field": "karma", "op": "gt", '
                                                   '"value": 100}]}').stdout) == []


def test_members_csv(run):
    run("create", "--title", "Beta", "--criteria", BETA)
    out = run("members", "Beta", "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(out)))
    assert rows == [["id", "username", "email", "signed_up"],
                    ["1", "ann", "ann@corp.com", "2026-01-02T03:04:05"],
                    ["4", "dee", 'dee, "the" one@mail.com', ""]]


def test_create_list_and_delete(run):
    out = run("create", "--title", "Corp", "--description", "corporate", "--group", "Work",
              "--criteria", '{"rules": [{"field": "email", "op": "ends_with", "value": "@CORP.com"}]}')
    assert out.stdout == "Created segment 1: Corp (2 members)\n"
    run("create", "--title", "All", "--criteria", EVERYONE)
    rows = json.loads(run("list", "--json").stdout)
    assert rows == [
        {"id": 1, "title": "Corp", "group": "Work", "count": 2, "percent": 50.0, "error": None},
        {"id": 2, "title": "All", "group": None, "count": 4, "percent": 100.0, "error": None}]
    lines = run("list").stdout.splitlines()
    assert [line.split() for line in lines] == [["1", "Corp", "Work", "2", "50.0%"],
                                                ["2", "All", "Ungrouped", "4", "100.0%"]]
    assert run("delete", "Corp").stdout == "Deleted segment 1: Corp\n"
    assert [r["title"] for r in json.loads(run("list", "--json").stdout)] == ["All"]


def test_seed_defaults_creates_the_missing_ones(run):
    result = run("seed-defaults")
    assert result.stdout.splitlines() == ["Created segment 1: Verified",
                                          "Created segment 2: High karma",
                                          "2 default segments created"]
    assert "Skipped 'Broken' from tests.defaults: rules[0].field: unknown field 'nope'" in result.stderr
    assert run("seed-defaults").stdout.splitlines() == ["0 default segments created"]
    rows = {r["title"]: (r["group"], r["count"]) for r in json.loads(run("list", "--json").stdout)}
    assert rows == {"Verified": ("Basics", 2), "High karma": (None, 2)}


BAD = [
    (["count", "--criteria", '{"rules": [{"field": "nope", "op": "equals", "value": "x"}]}'],
     "rules[0].field: unknown field 'nope'"),
    (["count", "--criteria", '{"rules": [{"field": "email", "op": "is_empty"}, '
                             '{"field": "karma", "op": "contains", "value": "x"}]}'],
     "rules[1].op: 'contains' is not an operator of number field 'karma'"),
    (["count", "--criteria", '{"rules": [{"field": "signed_up", "op": "less_than_days_ago", '
                             '"value": -1}]}'],
     "rules[0].value: -1 is not a whole number of days >= 0"),
    (["members", "--criteria", '{"rules": [{"field": "signed_up", "op": "before", '
                               '"value": "2026-13-01"}]}'],
     "rules[0].value: '2026-13-01' is not a date (YYYY-MM-DD)"),
    (["count", "--criteria", '{"rules": [{"field": "karma", "op": "gt", "value": 1}'],
     "criteria are not valid JSON"),
    (["count", "--criteria", "[]"], "criteria must be an object"),
    (["count", "Nope"], "no segment with id or title 'Nope'"),
    (["members", "42"], "no segment with id or title '42'"),
    (["delete", "Nope"], "no segment with id or title 'Nope'"),
    (["create", "--title", "Taken", "--criteria", EVERYONE], "a segment titled 'Taken' exists already"),
    (["create", "--title", " ", "--criteria", EVERYONE], "title is required"),
    (["count", "Taken", "--criteria", EVERYONE], "give either SEGMENT or --criteria JSON"),
    (["count"], "give either SEGMENT or --criteria JSON"),
    (["members"], "give either SEGMENT or --criteria JSON"),
    (["count", "--criteria", "@/nonexistent/criteria.json"], "/nonexistent/criteria.json"),
]


@pytest.mark.parametrize(("args", "reason"), BAD, ids=[" ".join(a)[:60] for a, _ in BAD])
def test_bad_input_is_one_line(run, args, reason):
    run("create", "--title", "Taken", "--criteria", EVERYONE)
    result = run(*args, ok=False)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ") and reason in lines[0]
    assert "Traceback" not in result.output


def test_broken_segment_is_listed_and_explained(run, app):
    from community_segments import get_state
    run("create", "--title", "Beta", "--criteria", BETA)
    del get_state(app).registry._fields["tags"]  # its provider was uninstalled
    rows = json.loads(run("list", "--json").stdout)
    assert rows == [{"id": 1, "title": "Beta", "group": None, "count": None, "percent": None,
                     "error": "rules[0].field: unknown field 'tags'"}]
    assert run("list").stdout.split(None, 3)[3] == "broken: rules[0].field: unknown field 'tags'\n"
    result = run("count", "Beta", ok=False)
    assert result.stderr == "Error: rules[0].field: unknown field 'tags'\n"
