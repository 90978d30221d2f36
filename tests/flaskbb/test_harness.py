"""The harness drives the real FlaskBB: pages, permissions, CLI, models, plugins."""

from __future__ import annotations

import json
import textwrap

import pytest

from harness import add_future_import, build_wheel, install_wheel, uninstall

ADMIN_ONLY = "/admin/plugins"


def test_future_import_goes_after_docstring_and_is_idempotent():
    source = '"""Doc."""\n\n# comment\nimport os\nfrom typing import TYPE_CHECKING\n'
    patched = add_future_import(source)
    assert patched == ('"""Doc."""\n\n# comment\nfrom __future__ import annotations\n'
                       "import os\nfrom typing import TYPE_CHECKING\n")
    assert add_future_import(patched) == patched
    assert add_future_import("import os\n").startswith("from __future__ import annotations\n")


def test_forum_index_is_public(anonymous):
    resp = anonymous.get("/")
    assert resp.status == 200
    assert "FlaskBB" in resp.text


def test_admin_dashboard_for_staff_only(admin, moderator, member, anonymous):
    # FlaskBB lets moderators into the dashboard; settings and plugins are admin-only.
    assert admin.get("/admin/").status == 200
    assert moderator.get("/admin/").status == 200
    assert member.get("/admin/").status != 200
    assert anonymous.get("/admin/").status != 200


def test_admin_only_page(admin, moderator, member, anonymous):
    assert admin.get(ADMIN_ONLY).status == 200
    for client in (moderator, member, anonymous):
        assert client.get(ADMIN_ONLY).status != 200


def test_post_needs_csrf_token(admin):
    assert admin.post("/admin/settings/general", {}, csrf=False).status == 400


def test_plugins_list(flaskbb_any_site):
    code, out, err = flaskbb_any_site.cli("plugins", "list")
    assert code == 0, err
    assert "portal" in out and "conversations" in out


CREATE_MEMBER = """
from flaskbb.user.models import Group, User
member = Group.query.filter_by(name="Member").one()
moderators = Group.query.filter_by(name="Moderator").one()
user = User.create(username="bob", email="bob@example.org", password="Bob12345!",
                   primary_group_id=member.id, activated=True)
user.secondary_groups.append(moderators)  # not add_to_group: FLASKBB.md gotcha 10
db.session.commit()
user.invalidate_cache()
"""

READ_MEMBER = """
import json
from flaskbb.user.models import User
user = User.query.filter_by(username="bob").one()
print(json.dumps({"primary": user.primary_group.name,
                  "secondary": [g.name for g in user.secondary_groups]}))
"""


def test_member_created_through_models(flaskbb_any_site, admin):
    site = flaskbb_any_site
    if "bob" not in site.python("print(db.session.execute(db.text("
                                "'select username from users')).scalars().all())"):
        site.python(CREATE_MEMBER)
    assert json.loads(site.python(READ_MEMBER)) == {
        "primary": "Member", "secondary": ["Moderator"]}
    assert "bob" in admin.get("/admin/users").text
    assert site.login("bob", "Bob12345!").get("/admin/").status == 200
