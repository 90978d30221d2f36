"""Our routes inside the real FlaskBB app: admins only, FlaskBB's CSRF, the Segments tab.

``/admin/segments/static/<file>`` is a route of our blueprint in every branch, so the guard
is checked there; the overview page is checked once ``web/pages.py`` serves it.
"""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest
from forum_members import sql_counts

OURS = "/admin/segments/static/no-such-file.css"
OVERVIEW = "/admin/segments/"
TAB = 'href="/admin/segments/"'
FORBIDDEN = "You do not have the permission"  # FlaskBB's own 403 page


def test_guard_lets_admins_through(segments_site):
    assert segments_site.login("admin").get(OURS).status == 404  # past the guard: no such file


@pytest.mark.parametrize("role", ["moderator", "member"])
def test_other_users_get_flaskbbs_403_page(segments_site, role):
    resp = segments_site.login(role).get(OURS)
    assert resp.status == 403
    assert FORBIDDEN in resp.text


def test_anonymous_is_sent_to_flaskbbs_login(segments_site):
    resp = segments_site.client().get(OURS)
    assert resp.status == 302
    assert resp.location.startswith("/auth/login?next=/admin/segments/static/")


CSRF_PROBE = """
import json, re

# A POST route under our blueprint's endpoint prefix, so our guard runs before it.
app.add_url_rule("/admin/segments/csrf-probe", endpoint="community_segments.pages.csrf_probe",
                 methods=["POST"], view_func=lambda: "done")


def request(client, method, path, **kwargs):
    with app.app_context():  # a fresh `g` per request, as in the server
        return getattr(client, method)(path, **kwargs)


results = {"host_csrf": "csrf" in app.extensions}
for name, password in (("admin", "Admin123!"), ("alice", "Alice123!")):
    client = app.test_client()
    login = request(client, "get", "/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    request(client, "post", "/auth/login",
            data={"csrf_token": token, "login": name, "password": password})
    post = lambda **kw: request(client, "post", "/admin/segments/csrf-probe", **kw).status_code
    results[name] = [post(), post(data={"csrf_token": "forged"}),
                     post(data={"csrf_token": token}), post(headers={"X-CSRFToken": token})]
print(json.dumps(results))
"""


def test_flaskbbs_csrf_protects_our_routes(segments_site):
    results = json.loads(segments_site.python(CSRF_PROBE))
    assert results["host_csrf"] is True  # web/security.py defers to FlaskBB's CSRFProtect
    assert results["admin"] == [400, 400, 200, 200]
    assert results["alice"] == [400, 400, 403, 403]


def test_segments_tab_only_for_admins(segments_site):
    admin_dashboard = segments_site.login("admin").get("/admin/")
    assert admin_dashboard.status == 200 and TAB in admin_dashboard.text
    moderator_dashboard = segments_site.login("moderator").get("/admin/")
    assert moderator_dashboard.status == 200 and TAB not in moderator_dashboard.text


def test_overview_page_inside_the_management_area(segments_site):
    page = segments_site.login("admin").get(OVERVIEW)
    assert page.status == 200
    assert "Segments" in page.text and "management-body" in page.text
    assert 'class="nav-link active" href="/admin/segments/"' in " ".join(page.text.split())
    assert segments_site.login("moderator").get(OVERVIEW).status == 403
    assert segments_site.login("member").get(OVERVIEW).status == 403


RENDER_LAYOUT = """
import json
from flask import render_template_string
from flask_login import login_user
from flaskbb.user.models import User

OVERVIEW = "community_segments.pages.overview"
if OVERVIEW not in app.view_functions:  # stand-in until web/pages.py serves it
    app.add_url_rule("/admin/segments/", endpoint=OVERVIEW, view_func=lambda: "")
child = ('{% extends "community_segments/flaskbb_layout.html" %}'
         '{% block segments_title %}Probe{% endblock %}'
         '{% block segments_content %}<p id="probe">segment content</p>{% endblock %}')
pages = {}
for name in ("admin", "moddy"):
    with app.test_request_context("/admin/segments/"):
        login_user(User.query.filter_by(username=name).one())
        pages[name] = render_template_string(child)
print(json.dumps(pages))
"""


def test_layout_extends_flaskbbs_management_layout(segments_site):
    pages = json.loads(segments_site.python(RENDER_LAYOUT))
    admin = " ".join(pages["admin"].split())
    assert '<p id="probe">segment content</p>' in admin
    assert "<title> Probe - " in admin
    assert "card card-tabs management" in admin  # FlaskBB's management layout
    assert 'href="/admin/users"' in admin  # FlaskBB's own tabs
    assert 'class="nav-link active" href="/admin/segments/"' in admin
    assert 'breadcrumb-item active">Segments' in admin
    assert TAB not in pages["moddy"]


CHAMPIONS = {"match": "all", "rules": [{"field": "groups", "op": "has_any",
                                         "value": ["Champions"]}]}
CHAMPIONS_SQL = ("SELECT count(DISTINCT gu.user_id) FROM groups_users gu JOIN groups g "
                 "ON g.id = gu.group_id WHERE g.name = 'Champions'")


def test_api_counts_through_flaskbb(segments_site):
    admin = segments_site.login("admin")
    path = "/admin/segments/api/count?" + urllib.parse.urlencode(
        {"criteria": json.dumps(CHAMPIONS)})
    resp = admin.get(path)
    expected = sql_counts(segments_site, {"champions": CHAMPIONS_SQL})["champions"]
    assert resp.status == 200 and json.loads(resp.text)["count"] == expected > 0
    posted = admin.post("/admin/segments/api/count", json_body={"criteria": CHAMPIONS})
    assert posted.status == 200 and json.loads(posted.text)["count"] == expected
    no_token = admin.post("/admin/segments/api/count", json_body={"criteria": CHAMPIONS},
                          csrf=False)
    assert no_token.status == 400
    for role in ("moderator", "member"):
        assert segments_site.login(role).get(path).status == 403


def test_plugin_page_shows_author_and_homepage(segments_site):
    """FlaskBB reads both from our distribution metadata (pyproject.toml)."""
    page = segments_site.login("admin").get("/admin/plugins")
    assert page.status == 200
    ours = page.text[page.text.index(">community-segments<") - 300:]
    assert re.search(r'<a href="\s*https://github\.com/community-segments/community-segments"\s*>'
                     r"community-segments</a>", ours)
    assert re.search(r"by\s+The community-segments team", ours)
