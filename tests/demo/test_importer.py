import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from community_segments.demo import importer
from community_segments.demo.importer import ImportFileError, import_jsonl
from community_segments.demo.models import Group, Member, db
from community_segments.demo.seed import seed_database
from community_segments.errors import SegmentsError

NOW = datetime(2026, 3, 1, tzinfo=UTC)
ALICE = {
    "username": "alice", "email": "alice@example.com", "job_title": "Support Engineer",
    "department": "Support", "country": "NL", "primary_role": "Moderator",
    "custom_roles": ["Translator"], "groups": ["Beta testers", "Night owls"],
    "badges": ["Helpful"], "signed_up": "2024-03-01T12:30:00",
    "last_activity": "2025-06-30T23:15:00+02:00", "post_count": 12,
}
BOB = {
    "username": "bob", "email": "bob@example.org", "job_title": None, "department": None,
    "country": None, "primary_role": "Registered user", "custom_roles": [], "groups": [],
    "badges": [], "signed_up": "2023-11-05", "last_activity": None,
}
BAD_LINES = {
    "bad email": ({"email": "not-an-email"}, "line 500: email: Not a valid email address."),
    "bad date": ({"signed_up": "2024-13-45"},
                 "line 500: signed_up: Not a valid ISO 8601 date or datetime."),
    "unknown role": ({"primary_role": "Owner"}, "line 500: primary_role: Must be one of: "
                     "Registered user, Pending approval, Moderator, Administrator, Banned."),
    "not JSON": (None, "line 500: not valid JSON: Expecting ',' delimiter (column 28)"),
    "lone surrogate": ({"job_title": "\ud800"}, "line 500: job_title: contains a lone "
                       "surrogate '\\ud800' (at 0); send valid Unicode"),
    "NUL": ({"username": "a\x00b"}, "line 500: username: contains a NUL character (at 1)"),
    "control character": ({"department": "Sales\x1b[31m"},
                          "line 500: department: contains the control character '\\x1b' (at 5)"),
    "surrogate in a key": ({"x\udc80": 1}, "line 500: x\\udc80: the key contains a lone "
                           "surrogate '\\udc80' (at 1); send valid Unicode"),
    "surrogate in a tag": ({"badges": ["ok", "\udfff"]}, "line 500: badges[1]: contains a lone "
                           "surrogate '\\udfff' (at 0); send valid Unicode"),
}


def write_lines(path, lines):
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def member_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Member))


def group_names():
    return set(db.session.scalars(sa.select(Group.name)))


def imported_members(n):
    """``n`` import lines whose usernames and emails never clash with seeded members."""
    rows = [dict(ALICE, username=f"imported{i}", email=f"imported{i}@example.net",
                 groups=["Importers"]) for i in range(1, n + 1)]
    return [json.dumps(row) for row in rows]


@pytest.fixture
def seeded(app, tables):
    seed_database(db.session, 20, seed=3, now=NOW)
    db.session.commit()


def test_import_creates_the_schema_and_round_trips_every_value(app, tmp_path):
    path = write_lines(tmp_path / "members.jsonl", [json.dumps(ALICE), "", "  ", json.dumps(BOB)])
    assert import_jsonl(db.session, path) == 2
    alice, bob = db.session.scalars(sa.select(Member).order_by(Member.username))
    assert (alice.email, alice.job_title, alice.department, alice.country, alice.primary_role,
            alice.post_count) == ("alice@example.com", "Support Engineer", "Support", "NL",
                                  "Moderator", 12)
    assert alice.signed_up == datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
    assert alice.last_activity == datetime(2025, 6, 30, 21, 15, tzinfo=UTC)
    assert sorted(g.name for g in alice.groups) == ["Beta testers", "Night owls"]
    assert [b.name for b in alice.badges] == ["Helpful"]
    assert [r.name for r in alice.custom_roles] == ["Translator"]
    assert bob.signed_up == datetime(2023, 11, 5, tzinfo=UTC)
    assert (bob.last_activity, bob.country, bob.groups, bob.post_count) == (None, None, [], 0)


def test_import_adds_exactly_the_members_of_the_file_and_reuses_tags(seeded, tmp_path):
    before = member_count()
    path = write_lines(tmp_path / "members.jsonl", imported_members(30))
    assert import_jsonl(db.session, path) == 30
    assert member_count() == before + 30
    assert group_names() >= {"Beta testers", "Importers"}
    assert db.session.scalar(sa.select(sa.func.count()).where(Group.name == "Beta testers")) == 1


@pytest.mark.parametrize("change", BAD_LINES.values(), ids=BAD_LINES.keys())
def test_a_bad_line_500_is_named_and_nothing_is_written(seeded, tmp_path, change):
    patch, message = change
    lines = imported_members(600)
    bad = json.dumps(json.loads(lines[499]) | patch) if patch else lines[499].replace(",", "")
    lines[499] = bad
    before, groups_before = member_count(), group_names()
    with pytest.raises(ImportFileError) as raised:
        import_jsonl(db.session, write_lines(tmp_path / "members.jsonl", lines))
    assert str(raised.value) == message
    assert [line for line, _ in raised.value.errors] == [500]
    assert member_count() == before
    assert group_names() == groups_before
    assert "Importers" not in groups_before


def test_every_error_is_collected_blank_lines_count_and_the_first_is_named(app, tmp_path):
    lines = [json.dumps(ALICE), "", "[1, 2]", json.dumps(dict(BOB, country="usa", post_count=-1)),
             json.dumps(dict(BOB, username="Alice", email="ALICE@example.com")),
             json.dumps(dict(BOB, username="carol", email="carol@example.com", shoe_size=44))]
    with pytest.raises(SegmentsError) as raised:
        import_jsonl(db.session, write_lines(tmp_path / "members.jsonl", lines))
    assert raised.value.errors == [
        (3, "expected a JSON object, got list"),
        (4, "country: Not an ISO 3166 alpha-2 country code (two capital letters)."),
        (4, "post_count: Must be greater than or equal to 0."),
        (5, "email: 'ALICE@example.com' is already used on line 1."),
        (5, "username: 'Alice' is already used on line 1."),
        (6, "shoe_size: Unknown field."),
    ]
    assert str(raised.value) == "line 3: expected a JSON object, got list (and 5 more errors)"
    assert not sa.inspect(db.engine).has_table("members")


def test_members_already_in_the_database_are_duplicates(seeded, tmp_path):
    taken = db.session.scalars(sa.select(Member).order_by(Member.id)).first()
    lines = [json.dumps(BOB), json.dumps(dict(ALICE, email=taken.email.upper()))]
    with pytest.raises(ImportFileError, match=rf"^line 2: email: '{taken.email.upper()}' already "):
        import_jsonl(db.session, write_lines(tmp_path / "members.jsonl", lines))
    assert db.session.scalar(sa.select(Member.id).where(Member.username == "bob")) is None


def test_a_failure_while_writing_rolls_everything_back(seeded, tmp_path, monkeypatch):
    def insert_then_fail(connection, rows, batch_size=5000):
        insert_members(connection, rows, batch_size=batch_size)
        raise RuntimeError("disk full")

    insert_members = importer.insert_members
    monkeypatch.setattr(importer, "insert_members", insert_then_fail)
    before, groups_before = member_count(), group_names()
    with pytest.raises(RuntimeError, match="disk full"):
        import_jsonl(db.session, write_lines(tmp_path / "members.jsonl", imported_members(10)))
    assert (member_count(), group_names()) == (before, groups_before)


def test_the_cli_reports_bad_text_in_one_line_and_writes_nothing(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from community_segments.demo.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'import.sqlite'}")
    lines = imported_members(3)
    lines[1] = json.dumps(json.loads(lines[1]) | {"job_title": "\ud800\x00"})
    result = CliRunner().invoke(main, ["import", str(write_lines(tmp_path / "m.jsonl", lines))])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: line 2: job_title: contains a lone surrogate '\\ud800' (at 0); send valid Unicode"]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'import.sqlite'}")
    with engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(Member.__table__)) == 0
    engine.dispose()
