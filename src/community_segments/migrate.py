"""Run our Alembic migrations in a host that has no Alembic set-up of its own.

FlaskBB runs the same scripts through Flask-Alembic (branch ``community_segments``);
everywhere else they run here (``flask segments db upgrade``), with a version table of
our own so they never touch the host's ``alembic_version``.

Each function takes an :class:`~sqlalchemy.engine.Engine` (the changes are committed in
a transaction of their own) or a :class:`~sqlalchemy.engine.Connection`: inside
``engine.begin()`` the caller's block commits; on a connection with no transaction
begun yet, the changes are committed here, so a plain ``engine.connect()`` does not
silently roll them back on close (PostgreSQL's DDL is transactional).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from .errors import SegmentsError

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "community_segments_alembic_version"


def _script() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS), version_locations=[str(MIGRATIONS)])


class SchemaMissing(SegmentsError):
    """Our tables are not in the database yet: the message names the command to run."""


@contextmanager
def _committed(bind: Engine | Connection):
    """A connection whose changes are committed when the block ends (see the module doc)."""
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            yield connection
    elif bind.in_transaction():
        yield bind
    else:
        with bind.begin():
            yield bind


def _run(bind: Engine | Connection, step) -> None:
    script = _script()
    with _committed(bind) as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE, "script": script,
                              "fn": lambda rev, _ctx: step(script, rev)})
        with Operations.context(context):
            context.run_migrations()


def upgrade(bind: Engine | Connection, target: str = "heads") -> None:
    """Bring our tables up to ``target`` (default: the newest revision)."""
    _run(bind, lambda script, rev: script._upgrade_revs(target, rev))


def downgrade(bind: Engine | Connection, target: str = "base") -> None:
    """Take our tables down to ``target`` (default: gone)."""
    _run(bind, lambda script, rev: script._downgrade_revs(target, rev))


def current(bind: Engine | Connection) -> tuple[str, ...]:
    """The revisions our version table records (empty: never upgraded)."""
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return current(connection)
    context = MigrationContext.configure(bind, opts={"version_table": VERSION_TABLE})
    return context.get_current_heads()


def head() -> str:
    found = _script().get_current_head()
    assert found is not None, "the migrations folder has no revision"
    return found


def missing_tables(bind: Engine | Connection) -> list[str]:
    """Our tables that the database lacks, by name."""
    from .models import Base
    existing = set(sa.inspect(bind).get_table_names())
    return sorted(name for name in Base.metadata.tables if name not in existing)


#: the command that creates our tables, by host name
UPGRADE_COMMANDS = {"flaskbb": "flaskbb db upgrade",
                    "demo": "community-segments segments db upgrade"}


def schema_missing(host_name: str, missing: list[str]) -> SchemaMissing:
    command = UPGRADE_COMMANDS.get(host_name, "flask segments db upgrade")
    named = ", ".join(missing[:2]) + (f" and {len(missing) - 2} more" if len(missing) > 2 else "")
    return SchemaMissing(f"the community-segments tables are missing ({named}): "
                         f"run `{command}`")


def schema_problem(db, host_name: str) -> SchemaMissing | None:
    """After a database error: our tables being absent, told as the command to run, or
    None when that is not the cause (or the database itself is unreachable)."""
    db.session.rollback()
    try:
        missing = missing_tables(db.engine)
    except sa.exc.DBAPIError:
        return None
    return schema_missing(host_name, missing) if missing else None
