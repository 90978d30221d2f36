"""``community-segments``: the demo community's command line (demo, import, segments ...)."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup, with_appcontext
from werkzeug.serving import run_simple

from ..cli import OneLineErrorsGroup, friendly
from ..errors import SegmentsError
from .app import create_app


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
    (default: a SQLite file in the instance folder)."""


@main.command("demo")
@click.option("--users", default=2000, show_default=True, help="Members to generate.")
@click.option("--seed", default=42, show_default=True, help="Random seed.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, hidden=True, help="Set up, then exit (for tests).")
@with_appcontext
@friendly
def demo_command(users, seed, host, port, no_serve):
    """Create and seed the demo community if empty, add the default segments, and serve it."""
    from flask import current_app

    from ..state import get_state
    from .models import Member, db
    from .seed import ensure_admin, seed_database

    if db.session.query(Member.id).first() is None:
        click.echo(f"Seeding {users} members (seed {seed}) ...")
        seed_database(db.session, users, seed)
        db.session.commit()
    username, password = ensure_admin(db.session)
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
        # app.run() refuses to serve inside a `flask` CLI command; werkzeug's server does not.
        run_simple(host, port, current_app._get_current_object(), threaded=True)


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
@friendly
def import_command(file):
    """Load members from FILE.jsonl (one JSON object a line); all or nothing."""
    from .importer import import_jsonl
    from .models import db

    added = import_jsonl(db.session, file)
    click.echo(f"Imported {added} members from {file}")
