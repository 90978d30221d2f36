"""Every page route on the demo app: access, CSRF, bad input, escaping, locking, export."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import pytest
import sqlalchemy as sa

from community_segments import SegmentsConfig
from community_segments.models import Segment

from .conftest import TOKEN

XSS = "<script>alert(1)</script>"
BAD_RULE = {"match": "all", "rules": [{"field": "post_count", "op": "contains", "value": "x"}]}


def segment_id(service, title="Employees") -> int:
    return service.get(title).id


def group_id(service, name="People") -> int:
    return service.get_group(name).id


def get_urls(service) -> list[str]:
    sid, gid = segment_id(service), group_id(service)
    return ["/admin/segments/", "/admin/segments/members",
            "/admin/segments/members?criteria=%7B%22rules%22%3A%5B%5D%7D&sort=email&direction=desc",
            f"/admin/segments/{sid}", f"/admin/segments/{sid}?page=2&sort=signed_up",
            f"/admin/segments/{sid}/export.csv", f"/admin/segments/overlap?group={gid}",
            f"/admin/segments/overlap?ids={sid},{segment_id(service, 'Newcomers')}",
            "/admin/segments/overlap"]


def post_urls(service) -> list[str]:
    sid, gid = segment_id(service), group_id(service)
    return ["/admin/segments/groups", f"/admin/segments/groups/{gid}/rename",
            f"/admin/segments/groups/{gid}/delete", "/admin/segments/move",
            "/admin/segments/members", "/admin/segments/preview", f"/admin/segments/{sid}",
            f"/admin/segments/{sid}/duplicate", f"/admin/segments/{sid}/delete"]


# -- access ---------------------------------------------------------------------------


def test_every_page_answers_an_admin(admin, service):
    for url in get_urls(service):
        response = admin.get(url)
        assert response.status_code == 200, url


def test_a_member_who_is_not_admin_gets_403(member, service):
    for url in get_urls(service):
        assert member.get(url).status_code == 403, url
    for url in post_urls(service):
        assert member.post(url, data={"csrf_token": TOKEN}).status_code == 403, url


def test_anonymous_users_are_sent_to_log_in(anonymous, service):
    for url in get_urls(service):
        response = anonymous.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url
    for url in post_urls(service):
        assert anonymous.post(url, data={"csrf_token": TOKEN}).status_code in (302, 403), url


def test_state_changes_without_csrf_token_are_refused(admin, service):
    before = [(s.id, s.title, s.group_id, s.position) for s in service.list_segments()]
    for url in post_urls(service):
        assert admin.post(url, data={"name": "x", "segment": "1"}).status_code == 400, url
        assert admin.post(url, json=BAD_RULE).status_code == 400, url
    service.session.expire_all()
    assert [(s.id, s.title, s.group_id, s.position) for s in service.list_segments()] == before


# -- preview and bad input ------------------------------------------------------------


def preview(client, criteria, segment=None):
    url = "/admin/segments/preview" + (f"?segment={segment}" if segment else "")
    return client.post(url, json=criteria, headers={"X-CSRFToken": TOKEN})


def test_preview_counts_and_names_the_bad_rule(admin, service):
    response = preview(admin, BAD_RULE)
    assert response.status_code == 422
    assert "rules[0].op" in response.get_json()["errors"]
    assert "rules[0].op" in response.get_data(as_text=True)
    good = {"match": "all", "rules": [{"field": "post_count", "op": "gte", "value": 1}]}
    data = preview(admin, {"criteria": good}).get_json()
    assert data["count"] == service.count(good)
    assert data["total"] == service.total_members()
    assert data["sentence"] == "Post count is at least 1"


@pytest.mark.parametrize("body", ["not json", "[1, 2]"])
def test_preview_refuses_a_body_that_is_not_an_object(admin, body):
    response = admin.post("/admin/segments/preview", data=body,
                          headers={"X-CSRFToken": TOKEN, "Content-Type": "application/json"})
    assert response.status_code == 400


def test_preview_difference_to_the_saved_segment(admin, service):
    saved = service.get("Product people")
    new = {"match": "any", "rules": [{"field": "department", "op": "equals", "value": "Product"},
                                     {"field": "department", "op": "equals", "value": "Sales"}]}
    data = preview(admin, new, segment=saved.id).get_json()
    sales = {"match": "all", "rules": [new["rules"][1]]}
    assert (data["added"], data["removed"]) == (service.count(sales), 0)
    narrower = {"match": "all", "rules": [*saved.criteria["rules"],
                                          {"field": "post_count", "op": "gte", "value": 1}]}
    data = preview(admin, narrower, segment=saved.id).get_json()
    assert data["added"] == 0
    assert data["removed"] == service.count(saved.criteria) - service.count(narrower)


def test_members_page_with_bad_criteria_names_the_rule(admin):
    response = admin.get("/admin/segments/members", query_string={"criteria": json.dumps(BAD_RULE)})
    assert response.status_code == 422
    assert "rules[0].op" in response.get_data(as_text=True)


@pytest.mark.parametrize(("query", "message"), [
    ({"page": "x"}, "<code>page</code>: &#39;x&#39; is not a page number"),
    ({"sort": "password"}, "<code>sort</code>: &#39;password&#39; is not sortable"),
    ({"direction": "up"}, "<code>direction</code>: &#39;up&#39; is not"),
    ({"criteria": "{not json"}, "criteria are not valid JSON")])
def test_members_page_bad_arguments_get_422(admin, query, message):
    response = admin.get("/admin/segments/members", query_string=query)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_members_page_paginates_and_sorts(admin, service):
    criteria = json.dumps({"match": "all", "rules": []})
    response = admin.get("/admin/segments/members", query_string={
        "criteria": criteria, "sort": "email", "direction": "desc", "page": 2})
    page = service.members({"match": "all", "rules": []}, page=2, per_page=25, sort="email",
                           direction="desc")
    text = response.get_data(as_text=True)
    assert page.items[0]["email"] in text and f"Page 2 of {page.pages}" in text


def test_overlap_bad_arguments(admin):
    assert admin.get("/admin/segments/overlap?ids=1,x").status_code == 422
    assert admin.get("/admin/segments/overlap?group=x").status_code == 422
    assert admin.get("/admin/segments/overlap?group=9999").status_code == 404
    assert admin.get("/admin/segments/9999").status_code == 404


# -- saving, groups, moving -------------------------------------------------------------


def save(client, **fields):
    return client.post("/admin/segments/members", data={"csrf_token": TOKEN, **fields})


def test_save_as_segment_into_a_new_group(admin, service):
    criteria = {"match": "all", "rules": [
        {"field": "badges", "op": "has_any", "value": ["Helpful"]}]}
    response = save(admin, title="Helpful people", description="d", group="new",
                    new_group="Recognition", criteria=json.dumps(criteria))
    assert response.status_code == 302
    segment = service.get("Helpful people")
    assert (segment.group.name, segment.criteria) == ("Recognition", criteria)
    assert response.headers["Location"].endswith(f"/admin/segments/{segment.id}")


def test_save_with_bad_input_keeps_the_form_and_names_the_problem(admin, service):
    response = save(admin, title="Kept title", group="", criteria=json.dumps(BAD_RULE))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "rules[0].op" in text and 'value="Kept title"' in text
    response = save(admin, title="Employees", group="", criteria='{"rules": []}')
    assert response.status_code == 422 and "title" in response.get_data(as_text=True)
    assert save(admin, title="x", group="new", criteria="{}").status_code == 422


def test_groups_create_rename_and_delete_keeps_segments(admin, service):
    post = lambda url, **data: admin.post(url, data={"csrf_token": TOKEN, **data})  # noqa: E731
    assert post("/admin/segments/groups", name="Fresh").status_code == 302
    assert post("/admin/segments/groups", name="Fresh").status_code == 422
    fresh = service.get_group("Fresh")
    assert post(f"/admin/segments/groups/{fresh.id}/rename", name="Renamed").status_code == 302
    people = service.get_group("People")
    members = [s.id for s in people.segments]
    assert post(f"/admin/segments/groups/{people.id}/delete").status_code == 302
    service.session.expire_all()
    assert service.get_group("Renamed").id == fresh.id
    assert all(service.get(sid).group_id is None for sid in members)
    assert post("/admin/segments/groups/9999/delete").status_code == 404


def test_move_by_form_and_by_json(admin, service):
    flywheel = service.get_group("Adoption flywheel")
    first, second = (s.id for s in flywheel.segments[:2])
    response = admin.post("/admin/segments/move", data={
        "csrf_token": TOKEN, "segment": second, "group": flywheel.id, "position": 0})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#segment-{second}")
    service.session.expire_all()
    assert [s.id for s in service.get_group(flywheel.id).segments][:2] == [second, first]
    response = admin.post("/admin/segments/move", json={"segment": first, "group": None,
                                                        "position": 0},
                          headers={"X-CSRFToken": TOKEN})
    assert response.get_json() == {"segment": first, "group": None, "position": 0}
    response = admin.post("/admin/segments/move", json={"segment": "x"},
                          headers={"X-CSRFToken": TOKEN})
    assert response.status_code == 422 and "segment" in response.get_json()["errors"]
    response = admin.post("/admin/segments/move", json={"segment": first, "group": 9999},
                          headers={"X-CSRFToken": TOKEN})
    assert response.status_code == 404


# -- detail: update, locking, duplicate, delete, export ----------------------------------


def update(client, segment, **changes):
    data = {"csrf_token": TOKEN, "title": segment.title, "description": segment.description,
            "group": segment.group_id or "", "version": segment.version,
            "criteria": json.dumps(segment.criteria), **changes}
    return client.post(f"/admin/segments/{segment.id}", data=data)


def test_update_saves_new_criteria(admin, service):
    segment = service.get("Employees")
    criteria = {"match": "all", "rules": [{"field": "email", "op": "ends_with",
                                           "value": "@logoipsum.com"}]}
    assert update(admin, segment, criteria=json.dumps(criteria)).status_code == 302
    service.session.expire_all()
    assert service.get(segment.id).criteria == criteria


def test_saving_over_a_newer_version_is_refused_and_keeps_the_edit(admin, service):
    segment = service.get("Employees")
    stale = segment.version
    service.update(segment.id, description="changed by someone else")
    response = update(admin, segment, version=stale, title="My edited title")
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "changed by someone else" in text and 'value="My edited title"' in text
    service.session.expire_all()
    current = service.get(segment.id)
    assert current.title == "Employees"
    assert f'name="version" value="{current.version}"' in text
    assert update(admin, current, title="My edited title").status_code == 302


def test_update_with_bad_criteria_names_the_rule(admin, service):
    response = update(admin, service.get("Employees"), criteria=json.dumps(BAD_RULE))
    assert response.status_code == 422 and "rules[0].op" in response.get_data(as_text=True)


def test_duplicate_and_delete(admin, service):
    original = service.get("Newcomers")
    response = admin.post(f"/admin/segments/{original.id}/duplicate", data={"csrf_token": TOKEN})
    copy = service.get("Newcomers (copy)")
    assert response.headers["Location"].endswith(f"/admin/segments/{copy.id}")
    response = admin.post(f"/admin/segments/{copy.id}/delete", data={"csrf_token": TOKEN})
    assert response.status_code == 302
    service.session.expire_all()
    assert service.session.get(Segment, copy.id) is None


def test_export_streams_every_member_as_csv(admin, service):
    segment = service.get("Not in a group")
    response = admin.get(f"/admin/segments/{segment.id}/export.csv")
    assert response.is_streamed
    assert response.headers["Content-Disposition"] == 'attachment; filename="Not-in-a-group.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == service.count(segment.criteria)
    assert {"id", "username", "email"} <= set(rows[0])


# -- broken segments and escaping -------------------------------------------------------


def test_a_broken_segment_is_shown_with_its_reason_and_stays_editable(admin, service):
    segment = service.get("Employees")
    broken = {"match": "all", "rules": [{"field": "shoe_size", "op": "equals", "value": "9"}]}
    service.session.execute(sa.update(Segment).where(Segment.id == segment.id)
                            .values(criteria=broken))
    service.session.commit()
    overview = admin.get("/admin/segments/")
    assert overview.status_code == 200
    assert "unknown field &#39;shoe_size&#39;" in overview.get_data(as_text=True)
    detail = admin.get(f"/admin/segments/{segment.id}")
    assert detail.status_code == 200 and "This segment is broken" in detail.get_data(as_text=True)
    assert admin.get(f"/admin/segments/{segment.id}/export.csv").status_code == 422
    assert admin.get(f"/admin/segments/overlap?ids={segment.id}").status_code == 200
    fixed = {"match": "all", "rules": [{"field": "department", "op": "equals", "value": "Sales"}]}
    service.session.expire_all()
    assert update(admin, service.get(segment.id), criteria=json.dumps(fixed)).status_code == 302


def test_a_script_title_renders_as_text(admin, service):
    segment = service.create(XSS, {"match": "all", "rules": []}, description=XSS, group="People")
    for url in ["/admin/segments/", f"/admin/segments/{segment.id}",
                f"/admin/segments/overlap?group={segment.group_id}"]:
        text = admin.get(url).get_data(as_text=True)
        assert XSS not in text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, url


def test_standalone_layout_without_a_host_layout(app, admin):
    state = app.extensions["community_segments"]
    state.config = dataclasses.replace(state.config, layout=SegmentsConfig().layout)
    text = admin.get("/admin/segments/").get_data(as_text=True)
    assert '<body class="cs-standalone">' in text and "Logoipsum Community" not in text
    state.config = dataclasses.replace(state.config, layout="community_segments/demo_layout.html")
    text = admin.get("/admin/segments/").get_data(as_text=True)
    assert "Logoipsum Community" in text and "cs-standalone" not in text


def test_csv_cells_that_spreadsheets_would_run_are_quoted():
    from community_segments.export import csv_chunks
    rows = [{"id": i, "username": name} for i, name in enumerate(["=cmd()", "+1", "ok"], 1)]
    text = "".join(csv_chunks(iter(rows), ["id", "username"]))
    assert text.splitlines() == ["id,username", "1,'=cmd()", "2,'+1", "3,ok"]
