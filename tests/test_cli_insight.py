"""``segments explain``, ``memberships``: exact last lines, exit 0 either way, one-line errors."""

from __future__ import annotations

import json

from .test_cli import BETA, app, run  # noqa: F401  (fixtures)


def _segment(run, title, criteria):
    run("create", "--title", title, "--criteria", criteria)


def test_explain_in_and_not_in(run):
    _segment(run, "Beta testers", BETA)
    inside = run("explain", "Beta testers", "ann").stdout.splitlines()
    assert inside[-1] == "ann is in Beta testers"
    assert any(line.startswith("    [x] Tags has any of beta") and "member: beta" in line
               for line in inside), inside
    outside = run("explain", "Beta testers", "2").stdout.splitlines()
    assert outside[-1] == "2 is not in Beta testers"
    assert any("[ ] Tags has any of beta" in line and "member: empty" in line for line in outside)


def test_explain_json_marks_every_node(run):
    criteria = json.dumps({"match": "any", "rules": [
        {"field": "karma", "op": "gte", "value": 10},
        {"match": "all", "rules": [{"field": "verified", "op": "is_true"},
                                   {"field": "signed_up", "op": "less_than_days_ago",
                                    "value": 30}]}]})
    _segment(run, "Mixed", criteria)
    data = json.loads(run("explain", "Mixed", "cid", "--json").stdout)
    assert data["in_segment"] is False and data["member"]["username"] == "cid"
    tree = data["tree"]
    assert (tree["kind"], tree["match"], tree["matched"]) == ("group", "any", False)
    karma, inner = tree["rules"]
    assert (karma["matched"], karma["member_value"], karma["path"]) == (False, None, "rules[0]")
    verified, recent = inner["rules"]
    assert verified["matched"] is True and verified["member_value"] is True
    assert recent["matched"] is False and recent["cutoff"] is not None
    assert recent["path"] == "rules[1].rules[1]"
    assert json.loads(run("explain", "Mixed", "ann", "--json").stdout)["in_segment"] is True


def test_explain_broken_segment_says_why(run, app):
    from community_segments import get_state
    _segment(run, "Beta", BETA)
    del get_state(app).registry._fields["tags"]  # its provider was uninstalled
    lines = run("explain", "Beta", "ann").stdout.splitlines()
    assert "The segment is broken: rules[0].field: unknown field 'tags'" in lines
    assert lines[-1] == "ann is not in Beta"
    data = json.loads(run("explain", "Beta", "ann", "--json").stdout)
    assert (data["broken"], data["tree"], data["in_segment"]) == (True, None, False)


def test_explain_unknown_member_or_segment_is_one_line(run):
    _segment(run, "Beta testers", BETA)
    result = run("explain", "Beta testers", "nobody", ok=False)
    assert result.output.strip().splitlines() == ["Error: no member with id or username 'nobody'"]
    result = run("explain", "Nope", "ann", ok=False)
    assert len(result.output.strip().splitlines()) == 1 and "Nope" in result.output


def test_memberships_lists_titles(run):
    run("seed-defaults")
    _segment(run, "Beta testers", BETA)
    assert run("memberships", "ann").stdout.splitlines() == ["Verified", "High karma",
                                                            "Beta testers"]
    assert run("memberships", "2").stdout == ""
    rows = json.loads(run("memberships", "dee", "--json").stdout)
    assert [row["title"] for row in rows] == ["High karma", "Beta testers"]
    assert run("memberships", "zed", ok=False).output.count("\n") == 1
