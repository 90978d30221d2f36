"""In Chromium: a segment built on another through the builder, a suggested value picked
with the keyboard, and a segment in use that cannot be deleted."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import number, screenshot

pytestmark = pytest.mark.browser


def live_count(page) -> int:
    return int(page.locator(".cs-live-number").inner_text())


def test_build_a_segment_on_another_with_the_builder(page, service):
    champions = service.get("Champions")
    page.goto("/admin/segments/members")
    page.get_by_role("button", name="+ Filter").click()
    page.get_by_label("Field").select_option(label="Segment")
    page.get_by_label("Operator").select_option("not_in")  # labelled "not in segment"
    segments = page.get_by_label("Which segments")
    expect(segments.locator("optgroup[label='Adoption flywheel']")).to_have_count(1)
    segments.select_option(label="Champions")
    criteria = {"match": "all", "rules": [
        {"field": "segment", "op": "not_in", "value": [champions.id]}]}
    expected = service.count(criteria)
    assert expected == service.total_members() - service.count(champions.criteria)
    expect(page.locator(".cs-live-number")).to_have_text(number(expected))
    page.get_by_text("Save as segment").click()
    page.get_by_label("Title").fill("Not yet champions")
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Not yet champions")
    expect(page.locator(".cs-sentence")).to_contain_text("Not in segment Champions")
    service.session.expire_all()
    assert service.get("Not yet champions").criteria == criteria
    screenshot(page, "segment-on-segment")


def test_pick_a_suggested_value_with_the_keyboard(page, service):
    page.goto("/admin/segments/members")
    page.get_by_role("button", name="+ Filter").click()
    page.get_by_label("Field").select_option(label="Department")
    page.get_by_label("Operator").select_option(label="equals")
    value = page.get_by_role("combobox", name="Value")
    value.click()
    value.press_sequentially("eng")
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    expect(value).to_have_attribute("aria-expanded", "true")
    first = listbox.get_by_role("option").first
    expect(first).to_contain_text("Engineering")
    criteria = {"match": "all", "rules": [
        {"field": "department", "op": "equals", "value": "Engineering"}]}
    expected = service.count(criteria)
    expect(first).to_contain_text(f"{expected} members")
    screenshot(page, "suggestions")
    value.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    expect(value).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    value.press("Enter")
    expect(value).to_have_value("Engineering")
    expect(listbox).to_be_hidden()
    expect(page.locator(".cs-live-number")).to_have_text(number(expected))
    value.press("ArrowDown")  # reopens; Escape closes without changing the value
    expect(listbox).to_be_visible()
    value.press("Escape")
    expect(listbox).to_be_hidden()
    expect(value).to_have_value("Engineering")


def test_deleting_a_segment_in_use_is_refused_with_the_list(page, service):
    base = service.create("Base for browser", {"match": "all", "rules": [
        {"field": "country", "op": "equals", "value": "US"}]})
    service.create("Built on base", {"match": "all", "rules": [
        {"field": "segment", "op": "in", "value": [base.id]}]})
    page.goto(f"/admin/segments/{base.id}")
    used_by = page.get_by_role("region", name="Used by")
    expect(used_by).to_contain_text("Built on base")
    page.get_by_text("Delete…").click()
    page.get_by_role("button", name="Yes, delete segment").click()
    alert = page.locator("#cs-conflict")
    expect(alert).to_contain_text("Not deleted")
    expect(alert).to_contain_text("Built on base")
    expect(alert).to_be_focused()
    service.session.expire_all()
    assert service.get(base.id).title == "Base for browser"
