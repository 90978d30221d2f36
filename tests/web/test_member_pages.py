"""Explain, member and diff-list pages: admin only, 404/422 with a reason, lists agree."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

ENGINEERS = {"match": "all", "rules": [{"field": "department", "op": "equals",
                                        "value": "Engineering"}]}


def _ids(service, criteria) -> set[int]:
    return {row["id"] for row in service.stream_members(criteria, columns=["id"])}


def test_pages_need_admin(member, anonymous, service):
    segment = service.list_segments()[0]
    for url in (f"/admin/segments/{segment.id}/explain?member=1", "/admin/segments/members/1",
                f"/admin/segments/{segment.id}/diff/added?criteria={{}}",
                f"/admin/segments/{segment.id}/diff/removed.csv?criteria={{}}"):
        assert member.get(url).status_code == 403, url
        assert anonymous.get(url).status_code in (302, 403), url


def test_explain_page(admin, service):
    segment = service.get("Product people")
    inside = _ids(service, segment.criteria)
    for member_id in (1, 2, 3):
        text = admin.get(f"/admin/segments/{segment.id}/explain?member={member_id}").get_data(
            as_text=True)
        expected = "true" if member_id in inside else "false"
        assert f'class="cs-explained" data-in-segment="{expected}"' in text
    missing = admin.get(f"/admin/segments/{segment.id}/explain?member=nobody-here")
    assert missing.status_code == 404 and "nobody-here" in missing.get_data(as_text=True)
    assert admin.get("/admin/segments/999999/explain?member=1").status_code == 404
    picker = admin.get(f"/admin/segments/{segment.id}/explain").get_data(as_text=True)
    assert 'class="cs-card cs-picker"' in picker and "cs-explained" not in picker


def test_member_page(admin, service):
    text = admin.get("/admin/segments/members/1").get_data(as_text=True)
    for s in service.list_segments():
        if service.problem(s) is None and 1 in _ids(service, s.criteria):
            assert f"/admin/segments/{s.id}/explain?member=1" in text
    assert 'data-field="department"' in text
    assert "cs-host-edit" not in text  # the demo has no FlaskBB user editor
    assert admin.get("/admin/segments/members/999999").status_code == 404


def test_diff_pages_and_csv(admin, service):
    segment = service.get("Product people")
    old, new = _ids(service, segment.criteria), _ids(service, ENGINEERS)
    text = quote(json.dumps(ENGINEERS))
    for side, expected in (("added", new - old), ("removed", old - new)):
        page = admin.get(f"/admin/segments/{segment.id}/diff/{side}?criteria={text}")
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        shown = {int(part.split('"')[0]) for part in body.split('<tr data-member="')[1:]}
        assert shown == set(sorted(expected)[:50])
        exported = admin.get(f"/admin/segments/{segment.id}/diff/{side}.csv?criteria={text}")
        rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
        assert [int(r["id"]) for r in rows] == sorted(expected)
    bad = admin.get(f"/admin/segments/{segment.id}/diff/added?criteria={quote('{nope')}")
    assert bad.status_code == 422 and "not valid JSON" in bad.get_data(as_text=True)
    bad = admin.get(f"/admin/segments/{segment.id}/diff/added?criteria={text}&after=x")
    assert bad.status_code == 422
