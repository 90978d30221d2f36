"""The harness drives the real FlaskBB: pages, permissions, CLI, models, plugins."""

from __future__ import annotations

import json
import textwrap
import zipfile

import pytest
from harness import REPO_ROOT, build_wheel, install_wheel, patch_flaskbb, uninstall

from community_segments.hosts.flaskbb_patch import add_future_import

ADMIN_ONLY = "/admin/plugins"


def test_future_import_goes_after_docstring_and_is_idempotent():
    source = '"""Doc."""\n\n# comment\nimport os\nfrom typing import TYPE_CHECKING\n'
    patched = add_future_import(source)
    assert patched == ('"""Doc."""\n\n# comment\nfrom __future__ import annotations\n'
                       "import os\nfrom typing import TYPE_CHECKING\n")
    assert add_future_import(patched) == patched
    assert add_future_import("import os\n").startswith("from __future__ import annotations\n")


def test_patch_is_applied_once(flaskbb_venv):
    assert patch_flaskbb(flaskbb_venv) == []


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


PROBE_DIST = "harness-probe-plugin"
PROBE_PYPROJECT = """
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "harness-probe-plugin"
version = "0.0.1"

[project.entry-points.flaskbb_plugins]
harness_probe = "harness_probe"

[tool.setuptools]
packages = ["harness_probe"]
"""
PROBE_MODULE = """
from flask import Blueprint
from flaskbb.extensions import allows
from flaskbb.utils.requirements import IsAdmin
from pluggy import HookimplMarker

hookimpl = HookimplMarker("flaskbb")
SETTINGS = None
probe = Blueprint("harness_probe", __name__)


@probe.route("/")
@allows.requires(IsAdmin)
def index():
    return "harness probe says hello"


@hookimpl
def flaskbb_load_blueprints(app):
    app.register_blueprint(probe, url_prefix="/admin/harness-probe")
"""


@pytest.fixture
def probe_plugin(flaskbb_any_site, tmp_path):
    """A throwaway plugin wheel-installed into the shared venv, removed afterwards."""
    site = flaskbb_any_site
    uninstall(site.venv, PROBE_DIST)  # left over by an interrupted run, if any
    project = tmp_path / "probe"
    (project / "harness_probe").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PROBE_PYPROJECT)
    (project / "harness_probe" / "__init__.py").write_text(textwrap.dedent(PROBE_MODULE))
    wheel = build_wheel(project, tmp_path / "dist", python=str(site.venv / "bin" / "python"))
    try:
        install_wheel(site.venv, wheel)
        site.restart()
        yield site
    finally:
        uninstall(site.venv, PROBE_DIST)
        site.restart()


def test_plugin_loads_from_wheel(probe_plugin):
    site = probe_plugin
    code, out, err = site.cli("plugins", "list")
    assert code == 0 and "harness_probe" in out, err
    admin_page = site.login("admin").get("/admin/harness-probe/")
    assert (admin_page.status, admin_page.text) == (200, "harness probe says hello")
    assert site.login("member").get("/admin/harness-probe/").status == 403
    assert site.client().get("/admin/harness-probe/").status == 403


def test_probe_plugin_was_removed(flaskbb_any_site):
    code, out, _ = flaskbb_any_site.cli("plugins", "list")
    assert code == 0 and "harness_probe" not in out
    assert flaskbb_any_site.client().get("/admin/harness-probe/").status == 404


def test_project_wheel_declares_the_flaskbb_plugin(tmp_path):
    wheel = build_wheel(REPO_ROOT, tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(next(
            n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "[flaskbb_plugins]" in entry_points
    assert "community_segments = community_segments.hosts.flaskbb" in entry_points
    assert {
        "community_segments/hosts/flaskbb/__init__.py",
        "community_segments/hosts/flaskbb/schema.py",
        "community_segments/hosts/flaskbb_patch.py",
        "community_segments/migrations/7d2c1b4a9e01_create_segment_tables.py",
        "community_segments/hosts/flaskbb/templates/community_segments/flaskbb_layout.html",
    } <= names
    # No <plugin>/migrations: FlaskBB must not run our migrations as a branch of its own.
    assert not any(n.startswith("community_segments/hosts/flaskbb/migrations/") for n in names)
