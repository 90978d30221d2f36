"""``community-segments``: the demo community's command line (demo, import, segments ...)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import FlaskGroup, with_appcontext
from werkzeug.serving import run_simple

from ..cli import OneLineErrorsGroup, friendly
from ..errors import SegmentsError
from .app import create_app, settle


class _DemoGroup(OneLineErrorsGroup, FlaskGroup):
    """The demo's Flask CLI group, with one-line usage errors."""


def _create_app():
    """The demo app; a start-up error (two providers claiming one key) is one line."""
    try:
        return create_app()
    except SegmentsError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(cls=_DemoGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
def main():
    """The community-segments demo community. Its database is DATABASE_URL
    (default: community.sqlite in the instance folder; `demo` prints its path)."""


@main.command("demo")
@click.option("--users", default=2000, show_default=True,
              help="Members to generate into an empty database (or with --reset).")
@click.option("--seed", default=42, show_default=True, help="Random seed.")
@click.option("--reset", is_flag=True,
              help="Drop the demo's tables and data and seed a fresh community.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, hidden=True, help="Set up, then exit (for tests).")
@with_appcontext
@friendly
def demo_command(users, seed, reset, host, port, no_serve):
    """Create and seed the demo community if empty, add the default segments, and serve it."""
    from flask import current_app

    from ..state import get_state
    from .models import db
    from .seed import ensure_admin

    click.echo(f"Database: {_database_label(db.engine.url)}")
    if reset:
        _reset_database()
    _seed_or_report(users, seed)
    username, password = ensure_admin(db.session())
    db.session.commit()
    created, skipped = get_state().service().seed_defaults()
    if created:
        click.echo(f"Created {len(created)} default segments.")
    for reason in skipped:
        click.echo(f"Skipped {reason}", err=True)
    from .campaigns.triggers import seed_welcome
    if seed_welcome() is not None:
        click.echo("Created the welcome campaign: mailed to each member who enters Newcomers.")
    url = f"http://{host}:{port}"
    click.echo(f"Demo community: {url}/  (admin pages: {url}/admin/segments/)")
    click.echo(f"Log in as admin: username {username!r}, password {password!r}")
    if not no_serve:
        settle()
        # app.run() refuses to serve inside a `flask` CLI command; werkzeug's server does not.
        run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]


def _database_label(url) -> str:
    """The database as a person finds it: a SQLite file's path, else the URL sans password."""
    if url.get_backend_name() == "sqlite" and url.database:
        return str(Path(url.database).resolve())
    return url.render_as_string(hide_password=True)


def _seed_or_report(users: int, seed: int) -> None:
    """Seed an empty database; an existing one is used as it is, and said so."""
    import sqlalchemy as sa

    from .models import Member, db
    from .seed import seed_database

    existing = db.session.scalar(sa.select(sa.func.count()).select_from(Member))
    if existing:
        click.echo(f"Using {existing} existing members; --reset to reseed "
                   "(--users and --seed apply to a new community only).")
        return
    click.echo(f"Seeding {users} members (seed {seed}) ...")
    seed_database(db.session(), users, seed)
    db.session.commit()


def _reset_database() -> None:
    """Drop every table of the demo (members, campaigns, segments) and create them anew."""
    from .. import migrate
    from .app import ensure_schema
    from .models import db

    db.session.remove()
    migrate.downgrade(db.engine)
    db.drop_all()
    db.create_all()
    ensure_schema()
    click.echo("Reset: dropped the demo's tables and data.")


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
@friendly
def import_command(file):
    """Load members from FILE.jsonl (one JSON object a line); all or nothing."""
    from .importer import import_jsonl
    from .models import db

    added = import_jsonl(db.session(), file)
    click.echo(f"Imported {added} members from {file}")
