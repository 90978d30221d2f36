"""The admin pages in a real browser: Chromium driven by Playwright over the demo app."""

from __future__ import annotations

import csv
import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from community_segments.demo.models import db

from .conftest import drag, number, open_overview, screenshot

pytestmark = pytest.mark.browser


def live_count(page) -> int:
    return int(page.locator(".cs-live-number").inner_text())


def segment_ids(page, group_name: str) -> list[int]:
    section = page.locator("section.cs-folder", has=page.get_by_role("heading", name=group_name))
    return [int(i) for i in section.locator("li.cs-segment").evaluate_all(
        "items => items.map(i => i.dataset.segment)")]


def open_row_menu(page, title: str) -> None:
    """A row's actions live in one menu: open it from the keyboard."""
    page.get_by_label(f"Actions for {title}").focus()
    page.keyboard.press("Enter")


def test_build_a_segment_from_filters_and_save_it(page, service):
    page.goto("/admin/segments/members")
    expect(page.locator(".cs-live-number")).to_have_text(number(service.total_members()))
    page.get_by_role("button", name="+ Filter").click()
    page.get_by_label("Field").select_option(label="Department")
    page.get_by_label("Operator").select_option(label="equals")
    page.get_by_label("Value").fill("Engineering")
    criteria = {"match": "all", "rules": [
        {"field": "department", "op": "equals", "value": "Engineering"}]}
    expected = service.count(criteria)
    expect(page.locator(".cs-live-number")).to_have_text(number(expected))
    shared = json.loads(parse_qs(urlparse(page.url).query)["criteria"][0])
    assert shared == criteria
    # The table follows the criteria by itself (the button is the no-JS path, hidden).
    expect(page.get_by_role("button", name="Show members")).to_be_hidden()
    expect(page.locator(".cs-pager")).to_contain_text(f"{number(expected)} members")
    expect(page.locator(".cs-live-number")).to_have_text(number(expected))
    screenshot(page, "members")

    page.get_by_text("Save as segment").click()
    page.get_by_label("Title").fill("Engineers")
    page.get_by_label("Description").fill("Everyone in Engineering")
    page.get_by_label("Group", exact=True).select_option(label="New group…")
    page.get_by_label("New group name").fill("Teams")
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Engineers")
    expect(page.locator(".cs-page-header .cs-count")).to_have_text(number(expected))
    service.session.expire_all()
    saved = service.get("Engineers")
    assert (saved.group.name, saved.criteria) == ("Teams", criteria)


def test_nested_any_group_with_choices_dates_and_days(page, service):
    page.goto("/admin/segments/members")
    page.get_by_role("button", name="+ Group of filters").click()
    nested = page.locator(".cs-group .cs-group")
    nested.get_by_label("Field").select_option(label="Badges")
    nested.get_by_label("Helpful").check()
    nested.get_by_label("First post").check()
    nested.get_by_role("button", name="+ Filter").click()
    expect(nested.get_by_label("Field").nth(1)).to_be_focused()
    nested.get_by_label("Field").nth(1).select_option(label="Signed up")
    nested.get_by_label("Operator").nth(1).select_option(label="is between")
    nested.get_by_label("From", exact=True).fill("2025-01-01")
    nested.get_by_label("To", exact=True).fill("2025-06-30")
    page.get_by_role("button", name="+ Filter").last.click()
    page.get_by_label("Field").last.select_option(label="Last activity")
    page.get_by_label("Operator").last.select_option(label="more than N days ago")
    page.get_by_label("Number of days").fill("45")
    criteria = {"match": "all", "rules": [
        {"match": "any", "rules": [
            {"field": "badges", "op": "has_any", "value": ["First post", "Helpful"]},
            {"field": "signed_up", "op": "between", "value": ["2025-01-01", "2025-06-30"]}]},
        {"field": "last_activity", "op": "more_than_days_ago", "value": 45}]}
    expect(page.locator(".cs-live-number")).to_have_text(number(service.count(criteria)))
    expect(page.locator(".cs-live")).to_contain_text("Last activity more than 45 days ago")
    assert json.loads(page.locator("#cs-criteria").input_value()) == criteria
    screenshot(page, "members-nested")


def test_drag_a_segment_to_another_group_persists(page, service):
    page.set_viewport_size({"width": 1280, "height": 2400})  # both groups on screen
    open_overview(page)
    screenshot(page, "overview")
    moving = service.get("Employees").id
    target = page.locator("section.cs-folder", has=page.get_by_role("heading", name="Housekeeping"))
    posted = drag(page, page.locator(f"#segment-{moving} .cs-handle"), target.locator("li.cs-segment").first)
    assert posted.post_data_json["group"] == str(service.get_group("Housekeeping").id)
    expect(page.get_by_role("status").filter(has_text="Segment moved.")).to_have_count(1)
    page.reload()
    assert moving in segment_ids(page, "Housekeeping")
    assert moving not in segment_ids(page, "People")


def test_keyboard_alternative_moves_up_and_to_a_group(page, service):
    page.goto("/admin/segments/")
    before = segment_ids(page, "Adoption flywheel")
    second = service.get(before[1])
    open_row_menu(page, second.title)
    page.get_by_role("button", name=f"Move {second.title} up").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(f"#segment-{second.id}$"))
    assert segment_ids(page, "Adoption flywheel")[:2] == [before[1], before[0]]
    expect(page.locator(f"#segment-{second.id}")).to_be_focused()

    open_row_menu(page, second.title)
    select = page.get_by_label(f"Move {second.title} to group")
    select.focus()
    select.select_option(label="Ungrouped")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert second.id in segment_ids(page, "Ungrouped")


def test_edit_criteria_shows_live_count_and_difference(page, service):
    segment = service.get("Product people")
    page.goto(f"/admin/segments/{segment.id}")
    expect(page.locator(".cs-pager")).to_be_visible()
    screenshot(page, "detail")
    page.get_by_text("Edit segment").click()
    edit = page.locator("#cs-edit-form")
    edit.get_by_label("Value").fill("Engineering")
    engineering = {"field": "department", "op": "equals", "value": "Engineering"}
    new = {"match": "all", "rules": [engineering]}
    added = service.count(new)
    removed = service.count(segment.criteria)
    expect(edit.locator(".cs-diff")).to_have_text(
        f"+{number(added)} / −{number(removed)} members compared with the saved version")
    expect(edit.locator(".cs-live-number")).to_have_text(number(added))
    edit.get_by_role("button", name="+ Filter").click()
    edit.get_by_label("Field").nth(1).select_option(label="Post count")
    edit.get_by_label("Operator").nth(1).select_option(label="is at least")
    edit.get_by_label("Value").nth(1).fill("5")
    at_least_5 = {"field": "post_count", "op": "gte", "value": 5}
    both = {"match": "all", "rules": [engineering, at_least_5]}
    expect(edit.locator(".cs-live-number")).to_have_text(number(service.count(both)))
    screenshot(page, "detail-edit")
    edit.get_by_role("button", name="Save changes").click()
    expect(page.locator(".cs-sentence")).to_contain_text("Post count is at least 5")
    service.session.expire_all()
    assert service.get(segment.id).criteria == both


def test_saving_over_a_newer_version_keeps_the_edit(page, service):
    segment = service.get("Pending approval")
    page.goto(f"/admin/segments/{segment.id}")
    page.get_by_text("Edit segment").click()
    page.get_by_label("Title").fill("Awaiting approval")
    service.update(segment.id, description="Changed meanwhile")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#cs-conflict")).to_be_focused()
    expect(page.get_by_label("Title")).to_have_value("Awaiting approval")
    screenshot(page, "detail-conflict")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Awaiting approval")


def test_duplicate_from_the_detail_page(page, service):
    segment = service.get("Newcomers")
    page.goto(f"/admin/segments/{segment.id}")
    page.get_by_role("button", name="Duplicate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Newcomers (copy)")
    service.session.expire_all()
    assert service.get("Newcomers (copy)").criteria == segment.criteria


def test_export_csv_downloads_every_member(page, service, tmp_path):
    segment = service.get("Not in a group")
    page.goto(f"/admin/segments/{segment.id}")
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    path = tmp_path / "export.csv"
    info.value.save_as(path)
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == service.count(segment.criteria)
    assert {row["username"] for row in rows} == {
        m["username"] for m in service.stream_members(segment.criteria)}


def test_overlap_view_shows_the_matrix_and_findings(page, service):
    group = service.get_group("Adoption flywheel")
    page.goto(f"/admin/segments/overlap?group={group.id}")
    size = len(group.segments)
    expect(page.locator("table.cs-matrix tbody td.cs-heat")).to_have_count(size * size)
    first = group.segments[0]
    diagonal = page.locator("table.cs-matrix tbody tr").first.locator("td.cs-diagonal")
    expect(diagonal).to_contain_text(number(service.count(first.criteria)))
    expect(page.get_by_role("heading", name="Findings")).to_be_visible()
    screenshot(page, "overlap")
    db.session.remove()
