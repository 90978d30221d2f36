"""The detail page's count, filled in by detail.js once the members are shown; without
JavaScript, the "Show the count" link counts on the server."""

from __future__ import annotations

from playwright.sync_api import expect

from .conftest import number


def test_the_count_is_filled_in(page, service):
    segment = service.get("Employees")
    count, total = service.count(segment.criteria), service.total_members()
    page.goto(f"/admin/segments/{segment.id}")
    header = page.locator(".cs-page-header .cs-total")
    expect(header.locator(".cs-count")).to_have_text(number(count))
    expect(header).to_contain_text(f"members · {100 * count / total:.1f}% of {number(total)}")
    expect(page.locator(".cs-counting")).to_have_count(0)
    pages = max(1, -(-count // 25))
    expect(page.locator(".cs-pager")).to_contain_text(
        f"Page 1 of {number(pages)} · {number(count)} members")
    expect(page.locator("table.cs-table tbody tr").first).to_be_visible()


def test_without_javascript_the_link_counts(browser, admin_state, base_url, service):
    segment = service.get("Employees")
    count = service.count(segment.criteria)
    context = browser.new_context(storage_state=admin_state, base_url=base_url,
                                  java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"/admin/segments/{segment.id}")
        expect(page.locator(".cs-page-header .cs-count")).to_have_count(0)
        page.get_by_role("link", name="Show the count").click()
        expect(page.locator(".cs-page-header .cs-count")).to_have_text(number(count))
        assert "count=1" in page.url
    finally:
        context.close()
