"""The admin pages and the JSON API inside the real FlaskBB, over HTTP.

Form posts carry FlaskBB's own CSRF token (and are refused without it); member lists
and exports are compared with hand-written SQL over FlaskBB's tables; the page size of
member lists is FlaskBB's plugin setting ``members_per_page``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.parse

import pytest
from forum_members import sql_counts

MEMBERS_PAGE = "/admin/segments/members"
SETTINGS_PAGE = "/admin/settings/plugin/community_segments"
ROW = "<tr><td>"  # a member row of the table (the empty table's row has a colspan)
PAGER = re.compile(r"Page (\d+) of (\d+) · (\d+) members")

# Champions whose primary group is not "Banned": the secondary-group EXISTS and the
# primary_role lookup in one segment.
CRITERIA = {"match": "all", "rules": [
    {"field": "primary_role", "op": "not_equals", "value": "banned"},
    {"field": "groups", "op": "has_any", "value": ["CHAMPIONS"]}]}
CRITERIA_SQL = """
SELECT u.id, u.username, u.email, g.name, u.post_count FROM users u
LEFT JOIN groups g ON g.id = u.primary_group_id
WHERE (g.name IS NULL OR g.name <> 'Banned')
  AND EXISTS (SELECT 1 FROM groups_users gu JOIN groups c ON c.id = gu.group_id
              WHERE gu.user_id = u.id AND c.name = 'Champions')
ORDER BY u.username
"""


def sql_rows(site, sql: str) -> list[list]:
    code = (f"import json\nrows = db.session.execute(db.text({sql!r})).all()\n"
            "print(json.dumps([list(row) for row in rows]))")
    return json.loads(site.python(code))


def flaskbb_ok(site, *args) -> str:
    code, out, err = site.cli(*args)
    assert code == 0, err[-2000:]
    return out


def member_rows(page) -> int:
    assert page.status == 200, page.text[-2000:]
    return page.text.count(ROW)


# -- the page-size setting ----------------------------------------------------------------


def save_setting(admin, value) -> str:
    resp = admin.post(SETTINGS_PAGE, {"members_per_page": str(value)})
    assert resp.status == 200
    return resp.text


def test_members_per_page_is_a_flaskbb_plugin_setting(segments_site):
    admin = segments_site.login("admin")
    everyone = sql_counts(segments_site, {"users": "SELECT count(*) FROM users"})["users"]
    assert 5 < everyone <= 25
    assert member_rows(admin.get(MEMBERS_PAGE)) == everyone  # default: 25 a page
    flaskbb_ok(segments_site, "plugins", "install", "community_segments")
    try:
        settings = admin.get(SETTINGS_PAGE)
        assert settings.status == 200 and "Members per page" in settings.text
        assert "Settings saved." in save_setting(admin, 5)
        page = admin.get(MEMBERS_PAGE)
        assert member_rows(page) == 5
        assert PAGER.search(page.text).groups() == ("1", str(-(-everyone // 5)), str(everyone))
        assert "Settings saved." not in save_setting(admin, 4)  # below the minimum: refused
        assert member_rows(admin.get(MEMBERS_PAGE)) == 5
        assert segments_site.login("member").get(SETTINGS_PAGE).status != 200
    finally:
        flaskbb_ok(segments_site, "plugins", "uninstall", "community_segments")
    assert member_rows(admin.get(MEMBERS_PAGE)) == everyone


# -- form posts with FlaskBB's CSRF token ---------------------------------------------------


def test_overview_group_form_needs_flaskbbs_token(segments_site):
    admin = segments_site.login("admin")
    refused = admin.post("/admin/segments/groups", {"name": "Without token"}, csrf=False)
    assert refused.status == 400 and "CSRF" in refused.text
    created = admin.post("/admin/segments/groups", {"name": "Forum teams"})
    assert created.status == 302 and created.location.endswith("/admin/segments/")
    overview = admin.get("/admin/segments/").text
    assert "Forum teams" in overview and "Without token" not in overview
    heading = re.compile(r'id="group-(\d+)-name">Forum teams<')
    group_id = heading.search(overview).group(1)
    deleted = admin.post(f"/admin/segments/groups/{group_id}/delete", {})
    assert deleted.status == 302
    assert not heading.search(admin.get("/admin/segments/").text)


@pytest.fixture
def saved_segment(segments_site):
    """A segment saved from the members page ("Save as segment"), deleted afterwards."""
    admin = segments_site.login("admin")
    form = {"title": "Loyal champions", "description": "", "criteria": json.dumps(CRITERIA),
            "group": "new", "new_group": "FlaskBB tests"}
    assert admin.post(MEMBERS_PAGE, form, csrf=False).status == 400
    saved = admin.post(MEMBERS_PAGE, form)
    assert saved.status == 302, saved.text[-2000:]
    segment_id = int(re.fullmatch(r"/admin/segments/(\d+)", saved.location).group(1))
    yield segment_id
    assert admin.post(f"/admin/segments/{segment_id}/delete", {}).status == 302


def test_saved_segment_on_the_overview(segments_site, saved_segment):
    expected = len(sql_rows(segments_site, CRITERIA_SQL))
    admin = segments_site.login("admin")
    overview = " ".join(admin.get("/admin/segments/?counts=live").text.split())
    assert "Loyal champions" in overview and "FlaskBB tests" in overview
    card = overview[overview.index("Loyal champions"):]
    assert f'<span class="cs-count">{expected}</span>' in card[:1500]
    assert 0 < expected < 16
    at_once = admin.get("/admin/segments/").text  # not evaluated: never refreshed yet
    card = at_once[at_once.index("Loyal champions"):]
    assert "counting…" in card[:1500]
    head = at_once[:at_once.index("</head>")]  # FlaskBB's layout: the refresh is in <head>
    assert ('<noscript><meta http-equiv="refresh" content="0;url=/admin/segments/?counts=live">'
            in head)


# -- members and export through the JSON API ------------------------------------------------


def test_api_members_match_sql(segments_site, saved_segment):
    expected = sql_rows(segments_site, CRITERIA_SQL)
    admin = segments_site.login("admin")
    url = f"/admin/segments/api/segments/{saved_segment}/members?"
    first = admin.get(url + urllib.parse.urlencode({"per_page": 2}))
    assert first.status == 200, first.text[-2000:]
    page = json.loads(first.text)
    assert page["total"] == len(expected) and page["pages"] == -(-len(expected) // 2)
    names = [m["username"] for p in range(1, page["pages"] + 1) for m in json.loads(
        admin.get(url + urllib.parse.urlencode({"per_page": 2, "page": p})).text)["items"]]
    assert names == [row[1] for row in expected]
    every = json.loads(admin.get(url + "per_page=500").text)["items"]
    assert [[m["id"], m["username"], m["email"], m["primary_role"], m["post_count"]]
            for m in every] == expected
    assert segments_site.login("member").get(url).status == 403


def test_api_export_matches_sql(segments_site, saved_segment):
    expected = sql_rows(segments_site, CRITERIA_SQL)
    resp = segments_site.login("admin").get(
        f"/admin/segments/api/segments/{saved_segment}/export.csv")
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    exported = sorted([int(r["id"]), r["username"], r["email"], r["primary_role"],
                       int(r["post_count"])] for r in rows)
    assert exported == sorted(expected)
    assert {"signed_up", "last_activity", "activated"} <= set(rows[0])


# -- one member (issue 13) ------------------------------------------------------------------


def test_member_page_links_to_flaskbbs_user_editor_and_back(segments_site, saved_segment):
    admin = segments_site.login("admin")
    admin_id = sql_rows(segments_site, "SELECT id FROM users WHERE username = 'admin'")[0][0]
    member = admin.get(f"/admin/segments/members/{admin_id}")
    assert member.status == 200, member.text[-2000:]
    assert f'href="/admin/users/{admin_id}/edit"' in member.text  # management.edit_user
    editor = admin.get(f"/admin/users/{admin_id}/edit")
    assert editor.status == 200
    assert f'href="/admin/segments/members/{admin_id}">Segments of this user</a>' in editor.text
    assert "Segments of this user" not in admin.get("/admin/users/add").text


def test_explain_and_memberships_in_flaskbb(segments_site, saved_segment):
    admin = segments_site.login("admin")
    inside = sql_rows(segments_site, CRITERIA_SQL)
    outside = sql_rows(segments_site, "SELECT username FROM users WHERE username = 'admin'")
    for username in [inside[0][1], outside[0][0]]:
        want = any(row[1] == username for row in inside)
        data = json.loads(admin.get(f"/admin/segments/api/segments/{saved_segment}/explain"
                                    f"?member={urllib.parse.quote(username)}").text)
        assert data["in_segment"] is want, data
        lines = flaskbb_ok(segments_site, "segments", "explain", str(saved_segment),
                           username).splitlines()
        assert lines[-1] == f"{username} {'is in' if want else 'is not in'} {saved_segment}"
        titles = flaskbb_ok(segments_site, "segments", "memberships", username).splitlines()
        segment = json.loads(admin.get(f"/admin/segments/api/segments/{saved_segment}").text)
        assert (segment["title"] in titles) is want
