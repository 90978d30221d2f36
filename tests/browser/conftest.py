"""A demo community served on a free loopback port, and Chromium driven by Playwright."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from community_segments.demo.app import create_app
from community_segments.demo.models import db
from community_segments.demo.seed import ensure_admin, seed_database
from community_segments.extension import get_state

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
MEMBERS = 1200  # enough for thousands separators ("1,201")
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"



def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is required in CI")
    pytest.skip(f"{CHROMIUM} is missing: the browser tests need Chromium")


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "community.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "SECRET_KEY": "browser-tests"})
    with app.app_context():
        seed_database(db.session, MEMBERS, seed=7)
        ensure_admin(db.session)
        db.session.commit()
        get_state().service().seed_defaults()
    return app


@pytest.fixture(scope="session")
def base_url(demo_app):
    server = make_server("127.0.0.1", 0, demo_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def admin_state(browser, base_url, tmp_path_factory):
    """The admin's logged-in cookies, made once and reused by every test's context."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("admin")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/")
    state = tmp_path_factory.mktemp("state") / "admin.json"
    context.storage_state(path=str(state))
    context.close()
    return str(state)


@pytest.fixture
def page(browser, admin_state, base_url):
    context = browser.new_context(storage_state=admin_state, base_url=base_url,
                                  accept_downloads=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def service(demo_app):
    """The service on the same database, to check what the pages show against."""
    with demo_app.app_context():
        yield get_state().service()
        db.session.remove()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def axe_violations(page, context: str | None = None) -> list[str]:
    """axe-core (vendored, tests only) run in the page, or in the part that matches the
    CSS selector ``context``: one line per violation and node."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("context => axe.run(context ? document.querySelector(context) : document,"
                           " {resultTypes: ['violations']})", context)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {node['target']}"
            for v in result["violations"] for node in v["nodes"]]


def number(n: int) -> str:
    """A count as the pages show it, with thousands separators."""
    return f"{n:,}"


def open_overview(page) -> None:
    """The overview with its live counts in: they replace the row figures after load, so a
    drag measured before they arrive can land on a row that has since moved."""
    page.goto("/admin/segments/")
    expect(page.locator(".cs-live-status")).to_contain_text("Live counts shown.")


def drag(page, source, target):
    """A mouse drag SortableJS (fallback mode) recognises: press, move in steps, release.
    Returns the /move request the drop sent."""
    box_from, box_to = source.bounding_box(), target.bounding_box()
    page.mouse.move(box_from["x"] + 5, box_from["y"] + 5)
    page.mouse.down()
    page.mouse.move(box_to["x"] + 40, box_to["y"] + 5, steps=12)
    page.mouse.move(box_to["x"] + 40, box_to["y"] + 8, steps=3)
    with page.expect_request("**/move") as posted:
        page.mouse.up()
    return posted.value
