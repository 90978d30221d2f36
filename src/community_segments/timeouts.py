"""A statement timeout for segment queries: a slow segment fails fast, never hangs a page.

PostgreSQL: ``SET LOCAL statement_timeout`` in the query's transaction. MariaDB: the
session's ``max_statement_time``, set around the query and reset after it (connections
are pooled). SQLite has no statement timeout: its queries run to the end.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .errors import QueryTimeout

PG_QUERY_CANCELED = "57014"
MARIADB_INTERRUPTED = (1969, 3024)  # max_statement_time (MariaDB), max_execution_time (MySQL)


def execute(session: Session, query, timeout_ms: int | None, what: str = "the segment query"):
    """``session.execute(query)`` under a timeout; QueryTimeout when it runs past it."""
    if not timeout_ms:
        return session.execute(query)
    dialect = session.connection().dialect  # connected: is_mariadb is known only then
    try:
        if dialect.name == "postgresql":
            session.execute(sa.text(f"SET LOCAL statement_timeout = {int(timeout_ms)}"))
        elif getattr(dialect, "is_mariadb", False):
            return _mariadb(session, query, timeout_ms)
        return session.execute(query)
    except sa.exc.DBAPIError as exc:
        if not timed_out(exc):
            raise
        session.rollback()
        raise QueryTimeout(f"{what} took longer than {timeout_ms / 1000:g} s; "
                           "simplify it or add an index", seconds=timeout_ms / 1000) from None


def _mariadb(session: Session, query, timeout_ms: int):
    session.execute(sa.text(f"SET SESSION max_statement_time = {timeout_ms / 1000:.3f}"))
    try:
        return session.execute(query)  # buffered: every row is fetched before the reset
    finally:
        session.execute(sa.text("SET SESSION max_statement_time = DEFAULT"))


def timed_out(exc: sa.exc.DBAPIError) -> bool:
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == PG_QUERY_CANCELED:
        return True
    args: tuple = getattr(orig, "args", ())
    return bool(args) and args[0] in MARIADB_INTERRUPTED


class Deadline:
    """One budget for a piece of work made of several queries and Python steps.

    The overview runs SQL and then folds counts in Python; both share the statement
    timeout, so a slow fold fails like a slow query instead of outliving the request.
    """

    def __init__(self, timeout_ms: int | None, what: str = "the segment overview"):
        self.timeout_ms, self.what = timeout_ms, what
        self.ends = None if not timeout_ms else time.monotonic() + timeout_ms / 1000

    def remaining_ms(self) -> int | None:
        """What is left for the next query (at least 1 ms; None: no timeout)."""
        if self.ends is None:
            return None
        self.check()
        return max(1, int((self.ends - time.monotonic()) * 1000))

    def check(self) -> None:
        if self.ends is not None and time.monotonic() >= self.ends:
            seconds = (self.timeout_ms or 0) / 1000
            raise QueryTimeout(f"{self.what} took longer than {seconds:g} s; "
                               "simplify it or add an index", seconds=seconds)
