"""Our tables in FlaskBB: migrated by our own code, versioned in a table of our own.

FlaskBB's convention is a plugin branch in its ``alembic_version``. A disabled or
pip-uninstalled plugin's scripts disappear from FlaskBB's Alembic, and its row there
then stops ``flaskbb db upgrade`` and ``flaskbb db current`` for the whole forum. So our
revision lives in ``community_segments_alembic_version`` (the version table of
:mod:`community_segments.migrate`, the same as in every other host), where FlaskBB never
looks. ``flaskbb install`` and ``flaskbb db upgrade`` still bring our tables up while
the plugin is enabled, as FlaskBB admins expect; ``flaskbb segments db`` does it alone.
"""

from __future__ import annotations

import functools
import logging

import click
import sqlalchemy as sa
from alembic.migration import MigrationContext
from flask.cli import with_appcontext
from sqlalchemy.engine import Connection, Engine

from ... import migrate

log = logging.getLogger(__name__)
FLASKBB_VERSION_TABLE = "alembic_version"
UPGRADE_HINT = "flaskbb segments db upgrade"
_CHAINED = "_community_segments_chained"


def our_revisions() -> set[str]:
    return {script.revision for script in migrate._script().walk_revisions()}


def adopt_legacy_revision(connection: Connection) -> str | None:
    """Move our revision out of FlaskBB's ``alembic_version`` (where 0.1 put it) into ours.

    Returns the revision moved, or None when there was nothing to move. Safe to run from
    several processes at once: only the one whose DELETE removed the row records it.
    """
    if not sa.inspect(connection).has_table(FLASKBB_VERSION_TABLE):
        return None
    table = sa.table(FLASKBB_VERSION_TABLE, sa.column("version_num", sa.String))
    ours = table.c.version_num.in_(sorted(our_revisions()))
    found = connection.execute(sa.select(table.c.version_num).where(ours)).scalars().all()
    if not found or connection.execute(sa.delete(table).where(ours)).rowcount == 0:
        return None
    context = MigrationContext.configure(connection,
                                         opts={"version_table": migrate.VERSION_TABLE})
    if not context.get_current_heads():
        context.stamp(migrate._script(), found[0])
    return found[0]


def upgrade(engine: Engine) -> tuple[str, ...]:
    """Adopt a 0.1 revision, then bring our tables to the newest revision; one transaction."""
    with engine.begin() as connection:
        moved = adopt_legacy_revision(connection)
        if moved:
            log.info("moved revision %s from alembic_version to %s", moved, migrate.VERSION_TABLE)
        migrate.upgrade(connection)
        return migrate.current(connection)


def downgrade(engine: Engine) -> None:
    """Drop our tables and our version table: nothing of ours is left in the database."""
    with engine.begin() as connection:
        adopt_legacy_revision(connection)
        migrate.downgrade(connection)
        if sa.inspect(connection).has_table(migrate.VERSION_TABLE):
            connection.execute(sa.text(f"DROP TABLE {migrate.VERSION_TABLE}"))


def current(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(migrate.VERSION_TABLE):
            return ()
        return migrate.current(connection)


def adopt_at_startup(engine: Engine) -> None:
    """Run at every FlaskBB start, before any FlaskBB command can trip over a 0.1 row."""
    try:
        with engine.begin() as connection:
            moved = adopt_legacy_revision(connection)
    except sa.exc.SQLAlchemyError as exc:  # no database yet: `flaskbb install` will make it
        log.debug("community-segments: revision check skipped: %s", exc)
        return
    if moved:
        log.warning("community-segments: moved revision %s from alembic_version to %s",
                    moved, migrate.VERSION_TABLE)


# --- the command line -----------------------------------------------------------


def _engine() -> Engine:
    from flaskbb.extensions import db
    return db.engine


def _describe(heads: tuple[str, ...]) -> str:
    if not heads:
        return f"none (no tables; run `{UPGRADE_HINT}`)"
    state = "head" if heads == (migrate.head(),) else f"head is {migrate.head()}"
    return f"{', '.join(heads)} ({state})"


@click.group("db")
def db_cli():
    """The plugin's own tables (version table community_segments_alembic_version)."""


@db_cli.command("upgrade")
@with_appcontext
def upgrade_command():
    """Create or upgrade the plugin's tables."""
    heads = upgrade(_engine())
    click.echo(f"community-segments tables at {_describe(heads)}")


@db_cli.command("downgrade")
@with_appcontext
def downgrade_command():
    """Drop the plugin's tables, its segments and its version table."""
    downgrade(_engine())
    click.echo("community-segments tables dropped (cs_segment, cs_segment_group, "
               f"{migrate.VERSION_TABLE})")


@db_cli.command("current")
@with_appcontext
def current_command():
    """Print the revision of the plugin's tables."""
    click.echo(_describe(current(_engine())))


def chain_after(command: click.Command, after) -> None:
    """Run ``after()`` once ``command`` has succeeded (once per command object)."""
    if getattr(command, _CHAINED, False):
        return
    original = command.callback
    assert original is not None, f"command {command.name!r} has no callback"

    @functools.wraps(original)
    def callback(*args, **kwargs):
        result = original(*args, **kwargs)
        after()
        return result

    command.callback = callback
    setattr(command, _CHAINED, True)


def chain_flaskbb_commands(cli: click.Group, app) -> None:
    """``flaskbb install`` and ``flaskbb db upgrade`` also upgrade our tables."""
    def upgrade_ours():
        with app.app_context():
            heads = upgrade(_engine())
        click.echo(f"[+] community-segments tables at {_describe(heads)}")

    db = cli.commands.get("db")
    for command in (cli.commands.get("install"),
                    db.commands.get("upgrade") if isinstance(db, click.Group) else None):
        if command is not None:
            chain_after(command, upgrade_ours)
