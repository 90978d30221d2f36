"""The demo command as a first-time user meets it (issue 11): where the database is, what
happens to an existing one, ``--reset``; and ``make demo`` without the test extras."""

from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import CliRunner

from community_segments import get_state
from community_segments.demo.app import create_app
from community_segments.demo.cli import main

ROOT = Path(__file__).resolve().parents[2]


def demo(*args: str):
    result = CliRunner().invoke(main, ["demo", "--no-serve", *args])
    assert result.exit_code == 0, result.output
    return result.output


def members() -> int:
    app = create_app()
    with app.app_context():
        return get_state(app).service().total_members()


def test_an_existing_database_is_reported_and_reset_reseeds(tmp_path, monkeypatch):
    path = tmp_path / "community.sqlite"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    first = demo("--users", "40", "--seed", "5")
    assert first.splitlines()[0] == f"Database: {path}"
    assert "Seeding 40 members (seed 5)" in first
    again = demo("--users", "90")
    assert "Using 41 existing members; --reset to reseed" in again and "Seeding" not in again
    assert members() == 41
    reset = demo("--users", "90", "--reset")
    assert "Reset: dropped the demo's tables and data." in reset
    assert "Seeding 90 members" in reset and "Created 14 default segments." in reset
    assert members() == 91


def test_the_default_database_and_port_are_said(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    default = Path(app.instance_path) / "community.sqlite"
    help_text = CliRunner().invoke(main, ["demo", "--help"]).output
    assert "--port INTEGER" in help_text and "[default: 5000]" in help_text
    assert "--reset" in help_text
    group_help = " ".join(CliRunner().invoke(main, ["--help"]).output.split())
    assert "default: community.sqlite in the instance folder; `demo` prints its path" in group_help
    # the README names both places: a checkout's src/instance, an install's <venv>/var
    assert default.parent.name in ("instance", "community_segments.demo.app-instance")


def test_make_demo_installs_the_package_without_test_extras():
    dry = subprocess.run(["make", "-n", "-B", "demo", "VENV=/nonexistent-venv"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    installs = [line for line in dry.splitlines() if "pip install" in line and " -e " in line]
    assert installs == ["/nonexistent-venv/bin/python -m pip install -q -e ."]
    assert "community-segments demo" in dry
    test_dry = subprocess.run(["make", "-n", "-B", "test", "VENV=/nonexistent-venv"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout
    assert "pip install -q -e '.[test]'" in test_dry
