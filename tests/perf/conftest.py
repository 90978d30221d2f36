"""A small seeded demo community on each database, with awkward members added by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from community_segments.demo.app import create_app
from community_segments.demo.models import Member, db
from community_segments.demo.seed import seed_database
from community_segments.extension import get_state

NOW = datetime(2026, 6, 1, tzinfo=UTC)
AWKWARD = [  # empty strings, non-ASCII case, LIKE wildcards, never active
    {"username": "zoë", "email": "ZOË@Example.com", "department": "", "country": None,
     "job_title": "100% _Expert_", "primary_role": "Registered user", "post_count": 0,
     "signed_up": datetime(2026, 5, 30, tzinfo=UTC), "last_activity": None},
    {"username": "émile", "email": "emile@logoipsum.com", "department": "Ünternehmen",
     "country": "", "job_title": None, "primary_role": "Banned", "post_count": 12,
     "signed_up": datetime(2020, 1, 1, tzinfo=UTC), "last_activity": datetime(2026, 5, 31, tzinfo=UTC)},
]


@pytest.fixture
def app(db_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test", "TESTING": True})
    with app.app_context():
        seed_database(db.session, 400, seed=7, now=NOW)
        db.session.execute(sa.insert(Member), AWKWARD)
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def service(app):
    service = get_state(app).service()
    service.evaluator.now = NOW
    return service
