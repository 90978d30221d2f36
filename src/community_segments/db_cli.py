"""``segments db upgrade|downgrade|current``: this plugin's own tables, on any host.

Each command runs in a transaction of its own and commits it (see :mod:`.migrate`).
"""

from __future__ import annotations

import click
from alembic.util.exc import CommandError
from flask.cli import with_appcontext

from . import migrate
from .state import get_state


def _state():
    return get_state()


def _engine():
    return _state().db.engine


def _revisions(revisions) -> str:
    return ", ".join(revisions) or "none (no tables)"


def _migrating(step, revision: str, done: str) -> None:
    """Run a migration step and say what changed; an unknown revision is one line."""
    engine = _engine()
    before = migrate.current(engine)
    try:
        step(engine, revision)
    except CommandError as exc:
        raise click.ClickException(f"revision {revision!r}: {exc}") from None
    click.echo(f"community-segments tables {done}: {_revisions(before)} -> "
               f"{_revisions(migrate.current(engine))}")


@click.group("db")
def db_cli():
    """This plugin's tables: create, upgrade, drop, and show their revision."""


@db_cli.command("upgrade")
@click.argument("revision", default="heads")
@with_appcontext
def upgrade_command(revision):
    """Create or upgrade the segments tables to REVISION (default: the newest)."""
    _migrating(migrate.upgrade, revision, "upgraded")


@db_cli.command("downgrade")
@click.argument("revision", default="base")
@with_appcontext
def downgrade_command(revision):
    """Downgrade to REVISION; the default, base, drops the segments tables and their data."""
    _migrating(migrate.downgrade, revision, "downgraded")


@db_cli.command("current")
@with_appcontext
def current_command():
    """The revision of the segments tables, and whether it is the newest."""
    current, head = migrate.current(_engine()), migrate.head()
    state = "up to date" if current == (head,) else f"newest is {head}"
    click.echo(f"{_revisions(current)} ({state})")
