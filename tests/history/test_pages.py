"""The overview's trends and the detail page's history, server-rendered (test client)."""

from __future__ import annotations

import re

from ..api.conftest import api_for
from .test_cli_api import history_app  # noqa: F401  (the module fixture: two refreshes)


def page(app, path: str) -> str:
    client = api_for(app, "admin").client
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_overview_shows_each_segments_trend(history_app):
    html = page(history_app, "/admin/segments/")
    everyone = history_app.segment_ids["Everyone"]
    trend = re.search(rf'data-trend="{everyone}">(.*?)</span></span>', html, re.S)
    assert trend, html
    assert "<svg" in trend[1] and 'role="img"' in trend[1] and "aria-label=" in trend[1]
    assert "+30 / −0 this week" in trend[1]


def test_detail_shows_size_over_time_and_latest_movers(history_app):
    everyone = history_app.segment_ids["Everyone"]
    html = page(history_app, f"/admin/segments/{everyone}")
    assert 'id="cs-history"' in html and 'class="cs-size-chart"' in html
    assert re.search(r'id="cs-last-refresh">Last refresh: <time datetime="\d{4}-', html)
    rows = re.findall(r"<tr><td>\d{4}-\d\d-\d\d \d\d:\d\d</td><td>(\d+)</td><td>\+(\d+)</td>", html)
    assert [int(e) for _, e in rows] == [30, 0]  # newest first
    assert int(rows[0][0]) - int(rows[1][0]) == 30
    latest_in = re.search(r'id="cs-latest-entered">(.*?)</div>', html, re.S)[1]
    assert latest_in.count("<li>") == 10 and "late29" in latest_in
    why = re.findall(r'<a class="cs-why" href="([^"]+)"', latest_in)
    assert len(why) == 10 and all(f"/admin/segments/{everyone}/explain?member=" in w for w in why)
    assert page(history_app, why[0].replace("&amp;", "&")).count("is in") >= 1  # the link answers
    assert "Nobody left" in html


def test_a_segment_never_refreshed_says_how_to_refresh(history_app):
    from community_segments.extension import get_state
    with history_app.app_context():
        new = get_state(history_app).service().create("Fresh", {"match": "all", "rules": []}).id
    html = page(history_app, f"/admin/segments/{new}")
    assert "Not refreshed yet" in html and "segments refresh" in html
    overview = page(history_app, "/admin/segments/")
    assert f'data-trend="{new}"' not in overview


def test_pages_work_before_the_history_tables_exist(tmp_path):
    """A package upgraded before `db upgrade`: no history, and no broken page."""
    from community_segments.demo.models import db
    from community_segments.extension import get_state

    from .conftest import make_app
    app = make_app(f"sqlite:///{tmp_path / 'old.sqlite'}", members=20)
    with app.app_context():
        from community_segments.demo.seed import ensure_admin
        ensure_admin(db.session)
        db.session.commit()
        segment = get_state(app).service().create("All", {"match": "all", "rules": []}).id
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE cs_history_point")
            connection.exec_driver_sql("DROP TABLE cs_history_change")
            connection.exec_driver_sql("DROP TABLE cs_membership")
    assert "All" in page(app, "/admin/segments/")
    assert "need an upgrade" in page(app, f"/admin/segments/{segment}")
    with app.app_context():
        db.engine.dispose()


def test_trends_take_one_point_a_day_and_sum_the_week():
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    from community_segments.history import read
    from community_segments.history.models import HistoryPoint
    from community_segments.models import Base
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine, tables=[HistoryPoint.__table__])
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    points = [(now - timedelta(days=d, hours=h), 100 + 10 * d + h, d < 7)  # 4 refreshes a day
              for d in range(40) for h in range(4)]
    with sa.orm.Session(engine) as session:
        session.add_all(HistoryPoint(segment_id=1, at=at, count=count, entered=1 if week else 0,
                                     left=2 if week else 0) for at, count, week in points)
        session.add_all(HistoryPoint(segment_id=2, at=now - timedelta(hours=h), count=h, entered=0,
                                     left=0) for h in range(3))
        session.commit()
        found = read.trends(session, [1, 2, 3], now)
    assert len(found[1].counts) == 31  # days 30 .. 0 (the window starts 30 days back)
    assert found[1].counts[-1] == 100  # the day's last refresh (h=0, the newest)
    assert (found[1].entered, found[1].left) == (28, 56)  # 7 days x 4 refreshes
    assert found[2].counts == [2, 1, 0] and 3 not in found  # same day: the refreshes
