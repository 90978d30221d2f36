"""The segment pages inside FlaskBB's management layout, in Chromium: axe-core reports no
violation in our part of the page, and every page is photographed at 1440 and 390 px.

FlaskBB's own chrome (its navbar, footer) is FlaskBB's: axe checks ``.cs-page``, the part
the plugin renders, with FlaskBB's CSS around it (contrast is computed on the real page).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from harness import USERS

pytestmark = pytest.mark.browser

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from browser.conftest import axe_violations, screenshot  # noqa: E402

WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def chromium(browser):
    return browser  # the run's one Chromium (tests/conftest.py)


def log_in(page, site) -> None:
    name, password, _ = USERS["admin"]
    page.goto(f"{site.base_url}/auth/login")
    page.locator("input[name=login]").fill(name)
    page.locator("input[name=password]").fill(password)
    page.locator("form [type=submit]").first.click()
    page.wait_for_load_state("networkidle")


MAKE = """
from community_segments.extension import get_state
service = get_state().service()
rules = [{"field": "post_count", "op": "gte", "value": 1}, {"field": "activated", "op": "is_true"}]
made = [service.create(f"Axe {n}", {"match": "all", "rules": rules[:n]}, group="Axe checks").id
        for n in (1, 2)]
print(",".join(map(str, made)))
"""
CLEAN = """
from community_segments.extension import get_state
service = get_state().service()
for title in ("Axe 1", "Axe 2"):
    service.delete(title)
service.delete_group("Axe checks")
"""


def pages_of(ids: str) -> dict[str, str]:
    first = ids.split(",")[0]
    return {"overview": "/admin/segments/", "members": "/admin/segments/members",
            "detail": f"/admin/segments/{first}", "overlap": f"/admin/segments/overlap?ids={ids}",
            "not-found": "/admin/segments/999999"}


@pytest.mark.parametrize("segments_site", ["sqlite"], indirect=True)
def test_segment_pages_in_flaskbb_have_no_axe_violations(chromium, segments_site):
    ids = segments_site.python(MAKE).strip()  # a group with two segments, removed after
    context = chromium.new_context()
    page = context.new_page()
    try:
        log_in(page, segments_site)
        found = {}
        for width, (w, h) in WIDTHS.items():
            page.set_viewport_size({"width": w, "height": h})
            for name, path in pages_of(ids).items():
                page.goto(segments_site.base_url + path)
                page.wait_for_load_state("networkidle")
                assert page.locator(".cs-page").count() == 1, page.content()[:2000]
                screenshot(page, f"flaskbb-{name}-{width}")
                found[f"{name}-{width}"] = axe_violations(page, ".cs-page")
        assert found == {name: [] for name in found}
    finally:
        context.close()
        segments_site.python(CLEAN)
