"""Scale beyond one machine: evaluation on a read bind, and a statement timeout."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from community_segments import FilterField, hookimpl
from community_segments.demo.app import create_app
from community_segments.demo.models import DEMO_TABLES, Member, db
from community_segments.demo.seed import seed_database
from community_segments.errors import QueryTimeout
from community_segments.extension import get_state
from community_segments.models import Segment

from ..generic_host import make_app

EVERYONE = {"match": "all", "rules": []}
REGISTERED = {"match": "all", "rules": [
    {"field": "primary_role", "op": "equals", "value": "Registered user"}]}


def _seeded(url: str, members: int, seed: int) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        db.metadata.create_all(connection, tables=list(DEMO_TABLES))
        seed_database(connection, members, seed)
    engine.dispose()


@pytest.fixture
def replica_app(db_url, tmp_path):
    replica = f"sqlite:///{tmp_path / 'replica.sqlite'}"
    _seeded(replica, 30, seed=2)
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test",
                      "SQLALCHEMY_BINDS": {"replica": replica}, "SEGMENTS_BIND_KEY": "replica"})
    with app.app_context():
        seed_database(db.session, 10, seed=1)
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_evaluation_reads_the_bind_while_segments_stay_on_the_default(replica_app):
    service = get_state(replica_app).service()
    segment = service.create("Registered", REGISTERED)
    assert service.total_members() == 30
    assert [c.count for c in service.counts()] == [service.count(REGISTERED)]
    assert service.members(EVERYONE, per_page=50).total == 30
    assert len(list(service.stream_members(EVERYONE, batch_size=7))) == 30
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == 10
    assert db.session.get(Segment, segment.id).title == "Registered"
    replica = sa.inspect(db.engines["replica"]).get_table_names()
    primary = sa.inspect(db.engine).get_table_names()
    assert "cs_segment" in primary and "cs_segment" not in replica and "members" in replica


class SlowField:
    """A number field whose value is a huge cross join: a deliberately slow query."""

    __name__ = "tests.slow"

    @hookimpl
    def segments_filter_fields(self, host):
        users = [host.user_model.__table__.alias(f"u{i}") for i in range(4)]
        joined = users[0]
        for other in users[1:]:
            joined = joined.join(other, users[0].c.id != other.c.id)
        crossed = sa.select(sa.func.count()).select_from(joined).scalar_subquery()
        return [FilterField(key="slow", label="Slow", type="number", column=crossed)]


def test_a_slow_segment_raises_query_timeout(db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite has no statement timeout")
    app, host_db, user = make_app(db_url, plugins=[SlowField()])
    with app.app_context():
        host_db.session.execute(sa.insert(user), [
            {"username": f"u{i}", "email": f"u{i}@example.com"} for i in range(200)])
        host_db.session.commit()
        state = get_state(app)
        state.config = dataclasses.replace(state.config, statement_timeout_ms=100)
        service = get_state(app).service()
        slow = {"match": "all", "rules": [{"field": "slow", "op": "gt", "value": 0}]}
        with pytest.raises(QueryTimeout, match=r"took longer than 0.1 s; simplify it or add an index"):
            service.count(slow)
        assert service.count({"match": "all", "rules": []}) == 200  # the session still works
        host_db.session.remove()
        host_db.engine.dispose()


def test_timeout_is_configurable_and_defaults_to_30_s(db_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test"})
    assert get_state(app).config.statement_timeout_ms == 30_000
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test",
                      "SEGMENTS_STATEMENT_TIMEOUT_MS": 0})
    assert get_state(app).config.statement_timeout_ms is None
