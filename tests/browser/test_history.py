"""Trends on the overview and history on the detail page, in Chromium."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from community_segments.history.app import refresh_app

from .conftest import screenshot

pytestmark = pytest.mark.browser
ACTIVE = "Active in the last 30 days"


@pytest.fixture
def refreshed(demo_app):
    """A baseline, then a refresh 10 days on: members drift out of the relative-date segment."""
    with demo_app.app_context():
        refresh_app(demo_app)
        report = refresh_app(demo_app, now=datetime.now(UTC) + timedelta(days=10))
    return {r.title: r for r in report.segments}


def test_the_overview_shows_trends_and_the_detail_page_the_history(page, refreshed):
    active = refreshed[ACTIVE]
    assert active.left > 0
    page.goto("/admin/segments/")
    row = page.locator(f"#segment-{active.segment_id}")
    trend = row.locator(".cs-trend")
    expect(trend).to_contain_text(f"+{active.entered} / −{active.left} this week")
    sparkline = trend.locator("svg.cs-sparkline")
    expect(sparkline).to_be_visible()
    assert sparkline.get_attribute("role") == "img"
    assert f"{active.count:,}" in sparkline.get_attribute("aria-label")
    screenshot(page, "history-overview")

    row.get_by_role("link", name=ACTIVE).click()
    history = page.locator("#cs-history")
    expect(history.get_by_role("heading", name="History")).to_be_visible()
    chart = history.get_by_role("img")
    expect(chart).to_be_visible()
    assert "Segment size at each refresh" in chart.get_attribute("aria-label")
    expect(history.locator("#cs-last-refresh time")).to_have_attribute(
        "datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    history.get_by_text("Size at each refresh (table)").click()
    rows = history.locator(".cs-history-table tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 2
    expect(rows.first.locator("td").nth(1)).to_have_text(str(active.count))
    expect(rows.first.locator("td").nth(3)).to_have_text(f"−{active.left}")
    expect(history.locator("#cs-latest-left li")).to_have_count(min(10, active.left))
    screenshot(page, "history-detail")
