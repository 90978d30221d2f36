"""The refresh lock: one row, locked as the first statement of a refresh's transaction.

PostgreSQL and MariaDB: ``SELECT ... FOR UPDATE`` on the row (READ COMMITTED, so what
follows sees every refresh committed before the lock was granted). SQLite:
``BEGIN IMMEDIATE`` takes the database's write lock before anything is read. A process
that finds the lock taken waits up to ``wait_s`` seconds, then fails with RefreshBusy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa

from ..base import table_of
from ..errors import SegmentsError
from .models import RefreshLock

LOCK = table_of(RefreshLock)
PG_LOCK_NOT_AVAILABLE = "55P03"
MARIADB_LOCK_WAIT_TIMEOUT = 1205


class RefreshBusy(SegmentsError):
    """Another refresh held the lock for longer than we were willing to wait."""


@contextmanager
def locked(engine: sa.Engine, wait_s: float, now: datetime) -> Iterator[sa.Connection]:
    """A connection in a transaction holding the refresh lock; commits on success only."""
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            connection = connection.execution_options(isolation_level="READ COMMITTED")
        _ensure_row(connection)
        restore = _wait_setting(connection, wait_s)
        try:
            _acquire(connection, wait_s, now)
            yield connection
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            restore()


def _ensure_row(connection: sa.Connection) -> None:
    """The lock row exists (made once, by whichever process gets there first)."""
    if connection.scalar(sa.select(LOCK.c.id).where(LOCK.c.id == 1)) is None:
        try:
            connection.execute(sa.insert(LOCK).values(id=1, runs=0))
            connection.commit()
        except sa.exc.IntegrityError:
            connection.rollback()
    connection.commit()  # the refresh's transaction starts with the lock, not before


def _wait_setting(connection: sa.Connection, wait_s: float):
    """Set how long to wait for the lock on this connection; returns how to undo it."""
    name = connection.dialect.name
    if name == "sqlite":
        before = connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait_s * 1000)}")
        return lambda: connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(before)}")
    if name in ("mysql", "mariadb"):
        before = connection.exec_driver_sql("SELECT @@SESSION.innodb_lock_wait_timeout").scalar_one()
        connection.exec_driver_sql(f"SET SESSION innodb_lock_wait_timeout = {max(1, int(wait_s))}")
        connection.commit()

        def undo() -> None:
            connection.exec_driver_sql(f"SET SESSION innodb_lock_wait_timeout = {int(before)}")
            connection.commit()
        return undo
    return lambda: None  # PostgreSQL: SET LOCAL, gone with the transaction


def _acquire(connection: sa.Connection, wait_s: float, now: datetime) -> None:
    try:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(wait_s * 1000)}")
            connection.execute(sa.select(LOCK.c.runs).where(LOCK.c.id == 1).with_for_update())
        connection.execute(sa.update(LOCK).where(LOCK.c.id == 1)
                           .values(runs=LOCK.c.runs + 1, refreshed_at=now))
    except sa.exc.OperationalError as exc:
        if not _lock_wait_failed(exc):
            raise
        raise RefreshBusy(f"another segments refresh held the lock for more than {wait_s:g} s; "
                          "try again when it has finished") from None


def _lock_wait_failed(exc: sa.exc.OperationalError) -> bool:
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == PG_LOCK_NOT_AVAILABLE:
        return True
    args = getattr(orig, "args", ())
    if args and args[0] == MARIADB_LOCK_WAIT_TIMEOUT:
        return True
    return "database is locked" in str(orig)
