"""Explain picker, member page and diff lists in a real browser (Chromium, Playwright)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from .conftest import screenshot

pytestmark = pytest.mark.browser


def _ids(service, criteria) -> set[int]:
    return {row["id"] for row in service.stream_members(criteria, columns=["id"])}


def test_explain_picker_marks_the_tree(page, service):
    segment = service.get("Product people")
    inside = _ids(service, segment.criteria)
    page.goto(f"/admin/segments/{segment.id}")
    picker = page.locator("form.cs-picker")
    box = picker.get_by_label("Member (username or id)")
    box.fill("a")  # typing asks the search API for suggestions
    expect(picker.locator("datalist")).to_have_attribute("data-count", "20")
    member = service.session.execute(
        sa.text("SELECT id, username FROM members ORDER BY id LIMIT 1")).one()
    box.fill(member.username)
    picker.get_by_role("button", name="Explain").click()
    verdict = "is in" if member.id in inside else "is not in"
    expect(page.locator(".cs-verdict")).to_have_text(f"{member.username} {verdict} {segment.title}.")
    root = page.locator(".cs-mark-root > li")
    expect(root).to_have_attribute("data-matched", "true" if member.id in inside else "false")
    assert page.locator("li.cs-mark[data-path^='rules[']").count() >= 1
    screenshot(page, "explain")


def test_why_from_a_member_row(page, service):
    segment = service.get("Product people")
    page.goto(f"/admin/segments/{segment.id}")
    row = page.locator(".cs-table tbody tr").first
    username = row.locator("a.cs-member-link").inner_text()
    row.get_by_role("link", name="why?").click()
    expect(page.locator(".cs-verdict")).to_have_text(f"{username} is in {segment.title}.")
    expect(page.locator(".cs-mark-root > li")).to_have_attribute("data-matched", "true")


def test_member_page_lists_their_segments_with_why(page, service):
    segment = service.get("Product people")
    page.goto(f"/admin/segments/{segment.id}")
    row = page.locator(".cs-table tbody tr").first
    member_id = int(row.locator("a.cs-member-link").get_attribute("data-member"))
    row.locator("a.cs-member-link").click()
    expect(page.get_by_role("heading", name="Segments")).to_be_visible()
    listed = page.locator("ul.cs-member-segments > li")
    titles = [t.strip() for t in listed.locator("a:not(.cs-why)").all_inner_texts()]
    expected = [s.title for s in service.list_segments()
                if service.problem(s) is None and member_id in _ids(service, s.criteria)]
    assert titles == expected
    assert segment.title in titles
    expect(page.locator("tr[data-field='department'] td")).not_to_be_empty()
    screenshot(page, "member")
    listed.filter(has_text=segment.title).get_by_role("link", name="why?").click()
    expect(page.locator(".cs-explained")).to_have_attribute("data-in-segment", "true")


def test_diff_counts_open_the_lists_of_who(page, service):
    segment = service.get("Product people")
    new = {"match": "all", "rules": [{"field": "department", "op": "equals",
                                      "value": "Engineering"}]}
    old_ids, new_ids = _ids(service, segment.criteria), _ids(service, new)
    page.goto(f"/admin/segments/{segment.id}")
    page.get_by_text("Edit segment").click()
    edit = page.locator("#cs-edit-form")
    edit.get_by_label("Value").fill("Engineering")
    added = edit.locator("a.cs-diff-added")
    expect(added).to_have_text(f"+{len(new_ids - old_ids)}")
    expect(edit.locator("a.cs-diff-removed")).to_have_text(f"−{len(old_ids - new_ids)}")
    for link, expected in ((added, new_ids - old_ids),
                           (edit.locator("a.cs-diff-removed"), old_ids - new_ids)):
        with page.context.expect_page() as opened:
            link.click()
        listing = opened.value
        listing.wait_for_load_state()
        seen = []
        while True:
            rows = listing.locator("table.cs-changes tbody tr[data-member]")
            seen += [int(i) for i in rows.evaluate_all("rs => rs.map(r => r.dataset.member)")]
            more = listing.get_by_role("link", name="Next ›")
            if more.count() == 0:
                break
            more.click()
            listing.wait_for_load_state()
        assert seen == sorted(expected)
        screenshot(listing, f"diff-{'added' if expected == new_ids - old_ids else 'removed'}")
        listing.close()
