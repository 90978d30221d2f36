"""Benchmark communities: generated once per (members, seed, database), then reused.

SQLite: a file under ``.cache/bench/``; PostgreSQL: a database ``cs_bench_<n>_<seed>`` on
the server of ``--pg-url``. Both are built under a temporary name and renamed when complete,
so an interrupted build is never mistaken for a cached one.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import sqlalchemy as sa

from community_segments import migrate
from community_segments.demo.models import DEMO_TABLES, db
from community_segments.demo.seed import seed_database

CACHE = Path(__file__).resolve().parent.parent / ".cache" / "bench"


def community_parser(doc: str | None) -> argparse.ArgumentParser:
    """The options every benchmark takes: which database, how many members, seed, repeats."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3)
    return parser


def community_url(kind: str, members: int, seed: int, pg_url: str) -> str:
    """The URL of a seeded community, building it first if it is not cached."""
    if kind == "sqlite":
        return _sqlite(members, seed)
    return _postgresql(members, seed, sa.make_url(pg_url))


def _sqlite(members: int, seed: int) -> str:
    path = CACHE / f"members-{members}-seed{seed}.sqlite"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        _build(f"sqlite:///{partial}", members, seed)
        partial.rename(path)
    return f"sqlite:///{path}"


def _postgresql(members: int, seed: int, server: sa.URL) -> str:
    name = f"cs_bench_{members}_seed{seed}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        have = set(connection.scalars(sa.text("SELECT datname FROM pg_database")))
        if name not in have:
            partial = f"{name}_partial"
            if partial in have:
                connection.execute(sa.text(f"DROP DATABASE {partial}"))
            connection.execute(sa.text(f"CREATE DATABASE {partial}"))
            _build(server.set(database=partial), members, seed)
            connection.execute(sa.text(f"ALTER DATABASE {partial} RENAME TO {name}"))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def _build(url, members: int, seed: int) -> None:
    started = time.perf_counter()
    print(f"Generating {members} members (seed {seed}) into {url} ...", flush=True)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        db.metadata.create_all(connection, tables=list(DEMO_TABLES))
        migrate.upgrade(connection)
        seed_database(connection, members, seed)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                sa.text("VACUUM ANALYZE"))
        else:
            connection.execute(sa.text("ANALYZE"))
    engine.dispose()
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
