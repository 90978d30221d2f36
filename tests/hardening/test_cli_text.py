"""Issue 10, item 2 on the command line: bad text is one line naming where, nothing written."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from community_segments.models import Segment

from ..generic_host import make_app

BAD = {"surrogate": "\ud800", "NUL": "a\x00b", "escape": "\x1b[2J"}


@pytest.fixture
def app(db_url):
    app, db, _ = make_app(db_url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["segments", *args])
    assert (result.exit_code != 0 and result.exception is None) or \
        isinstance(result.exception, SystemExit), result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
def test_bad_text_in_criteria_titles_and_groups_is_one_line(app, bad):
    criteria = json.dumps({"match": "all", "rules": [
        {"field": "username", "op": "equals", "value": bad}]})
    assert "rules[0].value" in run(app, "count", "--criteria", criteria)
    assert "rules[0].value" in run(app, "create", "--title", "T", "--criteria", criteria)
    fine = '{"match": "all", "rules": []}'
    assert "title" in run(app, "create", "--title", f"T{bad}", "--criteria", fine)
    assert "name" in run(app, "create", "--title", "T", "--group", f"G{bad}",
                         "--criteria", fine)
    with app.app_context():
        from community_segments import get_state
        session = get_state(app).db.session
        assert session.scalar(sa.select(sa.func.count()).select_from(Segment)) == 0
