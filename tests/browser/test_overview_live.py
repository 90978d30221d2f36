"""Issue 15 in Chromium: the overview arrives with the last refresh's counts and the
script replaces them with the live ones, marks a segment the database refuses as broken,
and keeps the old counts with a way to retry when the live ones cannot be had."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from werkzeug.serving import make_server

from community_segments import get_state
from community_segments.history.app import refresh_app

from ..generic_host import make_app
from ..hardening.test_broken import FailingField
from .conftest import screenshot

pytestmark = pytest.mark.browser
REFRESHED = datetime(2024, 3, 5, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A generic host: "Karma 10+" had 21 members at the refresh and has 26 now;
    "Failing" (SQL no database runs) and "Fresh" were made after the refresh."""
    path = tmp_path_factory.mktemp("overview-live") / "site.sqlite"
    app, db, user = make_app(f"sqlite:///{path}", plugins=[FailingField()],
                             is_admin=lambda: True)
    with app.app_context():
        db.session.execute(sa.insert(user), [
            {"username": f"u{i}", "email": f"u{i}@example.com", "karma": i} for i in range(1, 31)])
        db.session.commit()
        service = get_state(app).service()
        group = service.create_group("Karma")
        ids = {"karma": service.create("Karma 10+", {"match": "all", "rules": [
            {"field": "karma", "op": "gte", "value": 10}]}, group=group.id).id}
        refresh_app(app, now=REFRESHED)
        db.session.execute(sa.insert(user), [
            {"username": f"n{i}", "email": f"n{i}@example.com", "karma": 50} for i in range(5)])
        db.session.commit()
        ids["failing"] = service.create("Failing", {"match": "all", "rules": [
            {"field": "failing", "op": "gt", "value": 1}]}, group=group.id).id
        ids["fresh"] = service.create("Fresh", {"match": "all", "rules": []}).id
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "ids": ids}
    server.shutdown()
    thread.join(5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def tab(browser, site):
    context = browser.new_context(base_url=site["url"], viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_the_script_fills_in_the_live_counts_and_the_broken_row(tab, site):
    ids = site["ids"]
    seen = []
    tab.on("request", lambda request: seen.append(request.url))
    tab.goto("/admin/segments/")
    karma = tab.locator(f"#segment-{ids['karma']}")
    expect(karma.locator(".cs-count")).to_have_text("26")  # the refresh said 21
    expect(karma.locator(".cs-count-figures")).not_to_have_class("cs-count-stale")
    expect(karma.locator(".cs-count-figures")).to_contain_text("members · 74.3%")
    expect(karma).not_to_contain_text("as of")
    expect(tab.locator(f"#segment-{ids['fresh']} .cs-count")).to_have_text("35")
    failing = tab.locator(f"#segment-{ids['failing']}")
    expect(failing).to_have_class("cs-segment cs-broken")
    expect(failing.locator(".cs-problem")).to_contain_text("Broken: the database could not evaluate it")
    expect(failing.get_by_role("link", name="Edit the filters")).to_have_attribute(
        "href", f"/admin/segments/{ids['failing']}")
    expect(failing.locator(".cs-count-figures")).to_have_count(0)
    expect(tab.locator("[data-group-total]")).to_have_text(" · 26 members in any")
    expect(tab.get_by_role("status").filter(has_text="Live counts shown.")).to_have_count(1)
    assert sum("/api/overview" in url for url in seen) == 1  # once on load
    screenshot(tab, "overview-live-counts")


def test_the_page_first_shows_the_refresh_count_with_its_time(tab, site):
    tab.route("**/api/overview*", lambda route: None)  # never answered: the page as it arrives
    tab.goto("/admin/segments/")
    karma = tab.locator(f"#segment-{site['ids']['karma']}")
    expect(karma.locator(".cs-count")).to_have_text("21")
    expect(karma.locator(".cs-count-figures")).to_have_class("cs-count-figures cs-count-stale")
    expect(karma.locator(".cs-count-time time")).to_have_text("2024-03-05 08:00 UTC")
    expect(tab.locator(f"#segment-{site['ids']['fresh']} .cs-count")).to_have_text("counting…")
    expect(tab.get_by_role("status").filter(has_text="Counting members live…")).to_have_count(1)


def test_a_failed_fetch_keeps_the_last_counts_and_offers_a_retry(tab, site):
    tab.route("**/api/overview*", lambda route: route.fulfill(
        status=503, json={"message": "the segment overview took longer than 2 s"}))
    tab.goto("/admin/segments/")
    status = tab.locator(".cs-live-status")
    expect(status).to_contain_text("Live counts could not be loaded "
                                   "(the segment overview took longer than 2 s)")
    karma = tab.locator(f"#segment-{site['ids']['karma']}")
    expect(karma.locator(".cs-count")).to_have_text("21")
    expect(tab.locator(f"#segment-{site['ids']['fresh']} .cs-count")).to_have_text("not counted")
    retry = status.get_by_role("link", name="Try again")
    expect(retry).to_have_attribute("href", "/admin/segments/?counts=live")
    screenshot(tab, "overview-live-failed")
    tab.unroute("**/api/overview*")
    retry.click()
    expect(karma.locator(".cs-count")).to_have_text("26")
    expect(status).to_have_text("Live counts shown.")
    assert tab.url.endswith("/admin/segments/")  # the retry fetched again, it did not leave the page


def test_without_javascript_the_live_page_is_shown(browser, site):
    context = browser.new_context(base_url=site["url"], java_script_enabled=False)
    page = context.new_page()
    page.goto("/admin/segments/")
    page.wait_for_url("**/?counts=live")
    karma = page.locator(f"#segment-{site['ids']['karma']}")
    expect(karma.locator(".cs-count")).to_have_text("26")
    expect(page.locator(f"#segment-{site['ids']['failing']} .cs-problem")).to_contain_text("Broken:")
    context.close()
