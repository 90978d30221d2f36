"""Our Alembic migrations on every database: up, down, again, and the same schema as the models."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from community_segments import migrate
from community_segments.models import Base

TABLES = {"cs_segment", "cs_segment_group", "cs_refresh_lock", "cs_membership",
          "cs_history_point", "cs_history_change", "cs_history_outbox"}


@pytest.fixture
def engine(db_url):
    engine = sa.create_engine(db_url)
    yield engine
    engine.dispose()


def tables(connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


def differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    ours = [diff for diff in compare_metadata(context, Base.metadata)
            if not (diff[0] == "remove_table" and diff[1].name == migrate.VERSION_TABLE)]
    return ours


def test_upgrade_creates_the_models_schema(engine):
    with engine.begin() as connection:
        assert migrate.current(connection) == ()
        migrate.upgrade(connection)
    with engine.connect() as connection:
        assert TABLES | {migrate.VERSION_TABLE} <= tables(connection)
        assert migrate.current(connection) == (migrate.head(),)
        assert differences(connection) == []


def test_upgrade_twice_is_a_no_op(engine):
    for _ in range(2):
        with engine.begin() as connection:
            migrate.upgrade(connection)
    with engine.connect() as connection:
        assert migrate.current(connection) == (migrate.head(),)
        assert differences(connection) == []


def test_downgrade_removes_everything_and_upgrade_comes_back(engine):
    with engine.begin() as connection:
        migrate.upgrade(connection)
        connection.execute(sa.text("INSERT INTO cs_segment_group (name, position, created_at) "
                                   "VALUES ('g', 0, '2026-01-01 00:00:00')"))
    with engine.begin() as connection:
        migrate.downgrade(connection)
    with engine.connect() as connection:
        assert not TABLES & tables(connection)
        assert migrate.current(connection) == ()
    with engine.begin() as connection:
        migrate.downgrade(connection)  # nothing left to take down
        migrate.upgrade(connection)
    with engine.connect() as connection:
        assert migrate.current(connection) == (migrate.head(),)
        assert connection.scalar(sa.text("SELECT count(*) FROM cs_segment_group")) == 0


def test_upgrade_adopts_tables_made_by_create_all(engine):
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        migrate.upgrade(connection)
    with engine.connect() as connection:
        assert migrate.current(connection) == (migrate.head(),)
        assert differences(connection) == []


def test_migrated_schema_enforces_the_constraints(engine):
    with engine.begin() as connection:
        migrate.upgrade(connection)
    insert = sa.text("INSERT INTO cs_segment (title, description, criteria, position, version, "
                     "created_at, updated_at) VALUES ('t', '', '{}', 0, 1, "
                     "'2026-01-01 00:00:00', '2026-01-01 00:00:00')")
    with engine.begin() as connection:
        connection.execute(insert)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(insert)  # titles are unique
