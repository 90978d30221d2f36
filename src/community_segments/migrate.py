"""Run our Alembic migrations in a host that has no Alembic set-up of its own.

FlaskBB runs the same scripts through Flask-Alembic (branch ``community_segments``);
everywhere else they run here, with a version table of our own so they never touch
the host's ``alembic_version``.
"""

from __future__ import annotations

from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "community_segments_alembic_version"


def _script() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS), version_locations=[str(MIGRATIONS)])


def _run(connection: Connection, step) -> None:
    script = _script()
    context = MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE, "script": script,
                          "fn": lambda rev, _ctx: step(script, rev)})
    with Operations.context(context):
        context.run_migrations()


def upgrade(connection: Connection, target: str = "heads") -> None:
    """Bring our tables up to ``target`` (default: the newest revision)."""
    _run(connection, lambda script, rev: script._upgrade_revs(target, rev))


def downgrade(connection: Connection, target: str = "base") -> None:
    """Take our tables down to ``target`` (default: gone)."""
    _run(connection, lambda script, rev: script._downgrade_revs(target, rev))


def current(connection: Connection) -> tuple[str, ...]:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_heads()


def head() -> str:
    return _script().get_current_head()
