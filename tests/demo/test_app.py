"""The demo community app: schema on start, login with CSRF, the demo command."""

from click.testing import CliRunner

from community_segments import get_state
from community_segments.demo.app import create_app
from community_segments.demo.cli import main

from .conftest import token


def test_login_needs_csrf_and_the_right_password(demo):
    client = demo.test_client()
    assert client.post("/login", data={"username": "admin", "password": "admin"}).status_code == 400
    csrf = token(client)
    wrong = client.post("/login", data={"username": "admin", "password": "nope", "csrf_token": csrf})
    assert wrong.status_code == 401 and "Wrong username or password" in wrong.text
    ok = client.post("/login", data={"username": "admin", "password": "admin", "csrf_token": csrf})
    assert ok.status_code == 302
    assert "admin" in client.get("/").text


def test_demo_command_seeds_once_and_creates_the_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'demo.sqlite'}")
    runner = CliRunner()
    first = runner.invoke(main, ["demo", "--users", "300", "--seed", "3", "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "Created 14 default segments." in first.output
    assert "username 'admin', password 'admin'" in first.output
    again = runner.invoke(main, ["demo", "--users", "300", "--no-serve"])
    assert again.exit_code == 0 and "Seeding" not in again.output and "Created" not in again.output
    listed = runner.invoke(main, ["segments", "list", "--json"])
    assert listed.exit_code == 0
    app = create_app()
    with app.app_context():
        assert get_state(app).service().total_members() == 301



def test_the_demo_serves_with_its_start_up_heap_frozen(tmp_path, monkeypatch):
    """`community-segments demo` settles the app before serving: what is loaded by then is
    left out of the collector's full passes (a 55-66 ms pause inside bursts of requests)."""
    import gc

    from community_segments.demo import cli
    served = []
    monkeypatch.setattr(cli, "run_simple", lambda *args, **kwargs: served.append(
        gc.get_freeze_count()))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'demo.sqlite'}")
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        result = CliRunner().invoke(main, ["demo", "--users", "50", "--port", "5999"])
        assert result.exit_code == 0, result.output
        assert len(served) == 1 and served[0] > 10_000  # the app, Flask and SQLAlchemy
    finally:
        gc.unfreeze()
