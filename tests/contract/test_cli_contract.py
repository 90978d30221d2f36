"""DESIGN.md's command line, run through the installed console script on a fresh SQLite file."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .cli_runner import Cli, command

MEMBERS = [
    {"username": "Ñandú", "email": "nandu@example.org", "job_title": "100% sure_a\\b",
     "department": "Customer Success", "country": "US", "primary_role": "Registered user",
     "custom_roles": ["vip"], "groups": ["beta"], "badges": [],
     "signed_up": "2024-01-01T00:00:00Z", "last_activity": "2024-05-01T23:30:00"},
    {"username": "bob", "email": "bob@logoipsum.com", "job_title": "100x surexa",
     "department": None, "country": None, "primary_role": "Moderator", "custom_roles": [],
     "groups": [], "badges": ["gold"], "signed_up": "2024-01-02", "last_activity": None},
    {"username": "carol", "email": "carol@example.org", "job_title": "", "department": "",
     "country": "DE", "primary_role": "Registered user", "custom_roles": [], "groups": [],
     "badges": [], "signed_up": "2024-05-02", "last_activity": "2024-05-02T00:00:00+00:00"},
]
OPERATORS = {
    "text": ["equals", "not_equals", "contains", "not_contains", "starts_with", "ends_with",
             "is_empty", "is_not_empty"],
    "enum": ["equals", "not_equals", "in", "not_in", "is_empty", "is_not_empty"],
    "number": ["equals", "not_equals", "gt", "gte", "lt", "lte", "between", "is_empty",
               "is_not_empty"],
    "date": ["before", "after", "between", "less_than_days_ago", "more_than_days_ago",
             "is_empty", "is_not_empty"],
    "multi": ["has_any", "has_all", "has_none", "is_empty", "is_not_empty"],
    "segment": ["in", "not_in"],
}
DEMO_FIELDS = {"username": "text", "email": "text", "job_title": "text", "department": "text",
               "country": "enum", "primary_role": "enum", "custom_roles": "multi",
               "groups": "multi", "badges": "multi", "signed_up": "date",
               "last_activity": "date", "post_count": "number",
               "segment": "segment"}  # built in on every host (DESIGN.md)


def write_jsonl(path, rows):
    path.write_text("".join(
        (row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return str(path)


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    cli = Cli(f"sqlite:///{folder / 'demo.sqlite'}")
    assert "Imported 3 members" in cli.ok("import", write_jsonl(folder / "m.jsonl", MEMBERS))
    return cli


def rule(field, op, value=None):
    return {"field": field, "op": op} | ({} if value is None else {"value": value})


def test_fields_are_the_demo_keys_with_exactly_the_operators_of_their_type(cli):
    rows = json.loads(cli.ok("segments", "fields", "--json"))
    assert {row["key"]: row["type"] for row in rows} == DEMO_FIELDS
    for row in rows:
        assert row["operators"] == OPERATORS[row["type"]], row["key"]
        assert row["provider"]
    plain = cli.ok("segments", "fields")
    assert all(key in plain for key in DEMO_FIELDS)


@pytest.mark.parametrize(("rules", "expected"), [
    ([], 3),
    ([rule("country", "not_equals", "US")], 2),
    ([rule("country", "not_in", ["US"])], 2),
    ([rule("last_activity", "more_than_days_ago", 30)], 3),
    ([rule("last_activity", "less_than_days_ago", 30)], 0),
    ([rule("last_activity", "after", "2024-05-01")], 1),
    ([rule("last_activity", "before", "2024-05-01")], 0),
    ([rule("last_activity", "before", "2024-05-02")], 1),
    ([rule("last_activity", "between", ["2024-05-01", "2024-05-01"])], 1),
    ([rule("signed_up", "between", ["2024-01-01", "2024-01-02"])], 2),
    ([rule("username", "equals", "ñandú")], 1),
    ([rule("username", "starts_with", "ÑAN")], 1),
    ([rule("job_title", "contains", "%")], 1),
    ([rule("job_title", "contains", "_")], 1),
    ([rule("job_title", "starts_with", "100_")], 0),
    ([rule("job_title", "contains", "\\")], 1),
    ([rule("job_title", "is_empty")], 1),
    ([rule("department", "is_empty")], 2),
    ([rule("department", "not_contains", "cust")], 2),
    ([rule("email", "ends_with", "@LOGOIPSUM.com")], 1),
    ([rule("groups", "is_empty")], 2),
    ([rule("groups", "has_none", ["beta"])], 2),
    ([rule("badges", "has_any", ["GOLD"])], 1),
    ([rule("primary_role", "in", ["Moderator", "Banned"])], 1),
    ([rule("post_count", "between", [0, 0])], 3),
])
def test_semantics_hold_through_count(cli, rules, expected):
    assert cli.count(*rules) == expected


def test_any_match_joins_rules_with_or(cli):
    assert cli.count(rule("country", "equals", "US"), rule("country", "equals", "DE"),
                     match="any") == 2


@pytest.mark.parametrize(("criteria", "reason"), [
    ("[]", "criteria must be an object"),
    ("not json", "not valid JSON"),
    ('{"match": "all", "rules": {}}', "rules: "),
    ('{"match": "all", "rules": [5]}', "rules[0]: "),
    ('{"match": "all", "rules": [{"field": "post_count"}]}', "rules[0].op: "),
    ('{"match": "all", "rules": [{"field": "email", "op": "is_empty"},'
     ' {"field": "post_count", "op": "contains", "value": "x"}]}',
     "rules[1].op: 'contains' is not an operator of number field 'post_count'"),
    ('{"match": "all", "rules": [{"field": "post_count", "op": "gt"}]}', "rules[0].value: "),
    ('{"match": "all", "rules": [{"field": "post_count", "op": "gt", "value": "5"}]}',
     "rules[0].value: "),
    ('{"match": "all", "rules": [{"field": "signed_up", "op": "less_than_days_ago",'
     ' "value": 1.5}]}', "rules[0].value: "),
    ('{"match": "all", "rules": [{"field": "post_count", "op": "between", "value": [1]}]}',
     "rules[0].value: "),
    ('{"match": "all", "rules": [{"field": "post_count", "op": "between", "value": [5, 1]}]}',
     "rules[0].value: "),
    ('{"match": "some", "rules": []}', "match: "),
    ('{"match": "all", "rules": [{"field": "nope", "op": "equals", "value": "x"}]}',
     "rules[0].field: "),
    # regressions: these crashed with a traceback
    ('{"match": "all", "rules": [{"field": "post_count", "op": "gt",'
     ' "value": 99999999999999999999999999999}]}', "rules[0].value: "),
    ('{"match": "all", "rules": [{"field": "post_count", "op": "gt", "value": 1e400}]}',
     "rules[0].value: "),
    ('{"match": "all", "rules": [{"field": "post_count", "op": "lt", "value": NaN}]}',
     "rules[0].value: "),
    ('{"match": "all", "rules": [{"field": "last_activity", "op": "less_than_days_ago",'
     ' "value": 99999999999999}]}', "rules[0].value: "),
    ('{"match": "all", "rules": [{"field": "last_activity", "op": "after",'
     ' "value": "9999-12-31"}]}', "rules[0].value: "),
    ('{"match": "all", "rules": [' * 3000 + "]}" * 3000, "nest deeper"),
    ('{"match": "all", "rules": [' * 12 + "]}" * 12, "nest deeper"),
    ("@/nonexistent/criteria.json", "--criteria"),
])
def test_bad_criteria_exit_non_zero_with_one_line_naming_the_rule(cli, criteria, reason):
    for verb in ("count", "members"):
        assert reason in cli.fails("segments", verb, "--criteria", criteria)
    assert reason in cli.fails("segments", "create", "--title", "Bad", "--criteria", criteria)


@pytest.mark.parametrize("args", [
    ("segments", "count", "no such segment"),
    ("segments", "count", "9999"),
    ("segments", "count", "99999999999999999999999"),
    ("segments", "count", "²"),
    ("segments", "count"),
    ("segments", "members", "9999", "--format", "csv"),
    ("segments", "members", "--criteria", '{"rules": []}', "--format", "xml"),
    ("segments", "delete", "no such segment"),
    ("segments", "create", "--title", "No criteria"),
    ("segments", "create", "--title", "Lost", "--group", "424242", "--criteria", '{"rules": []}'),
    ("import", "/nonexistent/members.jsonl"),
    ("segments", "no-such-command"),
])
def test_bad_arguments_exit_non_zero_with_one_line(cli, args):
    cli.fails(*args)


def test_segment_lifecycle_by_id_and_exact_title(cli):
    criteria = json.dumps({"match": "all", "rules": [rule("primary_role", "equals", "Moderator")]})
    created = cli.ok("segments", "create", "--title", "Mods", "--description", "D",
                     "--group", "Staff", "--criteria", criteria)
    segment_id = created.split()[2].rstrip(":")
    assert "Mods" in cli.fails("segments", "create", "--title", "Mods", "--criteria", criteria)
    assert cli.ok("segments", "count", "Mods").strip() == "1"
    assert cli.ok("segments", "count", segment_id).strip() == "1"
    members = json.loads(cli.ok("segments", "members", "Mods"))
    assert [(m["id"], m["username"], m["email"]) for m in members][0][1:] == \
        ("bob", "bob@logoipsum.com")
    csv_lines = cli.ok("segments", "members", segment_id, "--format", "csv").splitlines()
    assert csv_lines[0].startswith("id,username,email") and len(csv_lines) == 2
    listed = {row["title"]: row for row in json.loads(cli.ok("segments", "list", "--json"))}
    assert listed["Mods"]["group"] == "Staff" and listed["Mods"]["count"] == 1
    assert listed["Mods"]["percent"] == pytest.approx(100 / 3, abs=0.1)
    assert "Mods" in cli.ok("segments", "list")
    cli.ok("segments", "delete", "Mods")
    cli.fails("segments", "count", segment_id)


def test_members_json_is_one_array_with_id_username_email(cli):
    members = json.loads(cli.ok("segments", "members", "--criteria", '{"match": "all", "rules": []}'))
    assert sorted(m["username"] for m in members) == ["bob", "carol", "Ñandú"]
    assert all({"id", "username", "email"} <= set(m) for m in members)


def test_seed_defaults_creates_the_missing_defaults_once(cli):
    first = cli.ok("segments", "seed-defaults")
    assert first.strip().endswith("default segments created") and not first.startswith("0 ")
    assert cli.ok("segments", "seed-defaults").strip().splitlines()[-1].startswith("0 ")


def test_import_is_all_or_nothing_and_names_bad_lines(tmp_path):
    cli = Cli(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    good = {"username": "ann", "email": "ann@example.org", "signed_up": "2024-01-01"}
    bad = write_jsonl(tmp_path / "bad.jsonl", [good, "not json", dict(good, username="x",
                                                                       email="nope")])
    assert cli.fails("import", bad).startswith("Error: line 2: ")
    assert cli.count() == 0
    assert "Imported 1 members" in cli.ok("import", write_jsonl(tmp_path / "ok.jsonl", [good]))
    assert cli.count() == 1
    assert "line 1" in cli.fails("import", write_jsonl(tmp_path / "again.jsonl", [good]))
    assert cli.count() == 1


def test_import_accepts_null_for_every_unknown_value(tmp_path):
    cli = Cli(f"sqlite:///{tmp_path / 'nulls.sqlite'}")
    line = {"username": "ann", "email": "ann@example.org", "job_title": None, "department": None,
            "country": None, "primary_role": None, "custom_roles": None, "groups": None,
            "badges": None, "signed_up": None, "last_activity": None}
    cli.ok("import", write_jsonl(tmp_path / "nulls.jsonl", [line]))
    assert cli.count(rule("signed_up", "is_empty")) == 1
    assert cli.count(rule("signed_up", "more_than_days_ago", 1)) == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status


def test_demo_seeds_an_empty_database_prints_the_login_and_serves(tmp_path):
    cli, port = Cli(f"sqlite:///{tmp_path / 'demo.sqlite'}"), _free_port()
    server = subprocess.Popen([*command(), "demo", "--users", "40", "--seed", "7", "--host",
                               "127.0.0.1", "--port", str(port)], env=cli.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert _get(f"http://127.0.0.1:{port}/login") == 200
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
                time.sleep(0.3)
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert "admin" in out and "password" in out
    assert cli.count() >= 40
    assert json.loads(cli.ok("segments", "list", "--json"))


def test_the_app_factory_is_community_segments_demo_create_app(tmp_path):
    cli = Cli(f"sqlite:///{tmp_path / 'factory.sqlite'}")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "community_segments.demo:create_app",
         "segments", "fields", "--json"], env=cli.env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert {row["key"] for row in json.loads(result.stdout)} == set(DEMO_FIELDS)
