"""What a forum admin does: install, upgrade, disable, pip-uninstall, remove, re-enable.

Our revision lives in ``community_segments_alembic_version``, never in FlaskBB's
``alembic_version``: a disabled or uninstalled plugin must not block FlaskBB's commands.
"""

from __future__ import annotations

import json

import pytest
from harness import install_wheel, uninstall

from community_segments import migrate
from community_segments.models import Base

OUR_TABLES = sorted([migrate.VERSION_TABLE, *Base.metadata.tables])
REVISION = migrate.head()
OURS = "/admin/segments/static/no-such-file.css"
STATE = """
import json
names = db.inspect(db.engine).get_table_names()
def rows(sql):
    return [list(r) for r in db.session.execute(db.text(sql))]
ours = "community_segments_alembic_version"
print(json.dumps({
    "tables": sorted(t for t in names if t.startswith(("cs_", "community_segments"))),
    "ours": rows(f"SELECT version_num FROM {ours}") if ours in names else None,
    "flaskbb": sorted(r[0] for r in rows("SELECT version_num FROM alembic_version")),
    "plugin": rows("SELECT name, enabled FROM plugin_registry WHERE name = 'community_segments'"),
    "settings": rows("SELECT s.key FROM plugin_store s JOIN plugin_registry p "
                     "ON p.id = s.plugin_id WHERE p.name = 'community_segments'"),
}))
"""
SEGMENTS_SQL = "SELECT count(*) FROM cs_segment"


def state(site) -> dict:
    return json.loads(site.python(STATE))


def flaskbb(site, *args) -> str:
    code, out, err = site.cli(*args)
    assert code == 0, f"flaskbb {' '.join(args)}: {err[-2000:]}"
    assert "already exists" not in err and "Can't locate revision" not in err
    return out


def forum_still_works(site) -> None:
    """FlaskBB's own migrations and pages, whatever became of the plugin."""
    flaskbb(site, "db", "upgrade")
    assert "(head)" in flaskbb(site, "db", "current")
    site.restart()
    assert site.client().get("/").status == 200
    admin = site.login("admin")
    assert admin.get("/admin/").status == 200 and admin.get("/admin/plugins").status == 200


def test_install_disable_downgrade_enable(fresh_site):
    site = fresh_site
    # `flaskbb install` ran our migrations into our own version table, none of ours
    # went into FlaskBB's, and `db upgrade` finds nothing to do and nothing "already exists".
    before = state(site)
    assert before["tables"] == OUR_TABLES and before["ours"] == [[REVISION]]
    assert REVISION not in before["flaskbb"] and before["flaskbb"]
    assert "community-segments tables at" in flaskbb(site, "db", "upgrade")
    assert flaskbb(site, "segments", "db", "current").strip() == f"{REVISION} (head)"
    assert "6 default segments created" in flaskbb(site, "segments", "seed-defaults")
    site.start()
    assert site.login("member").get(OURS).status == 403

    # Disabled with its tables and segments in place: FlaskBB does not notice them.
    flaskbb(site, "plugins", "disable", "community_segments")
    forum_still_works(site)
    assert site.login("admin").get(OURS).status == 404
    code, _, err = site.cli("segments", "list")
    assert code != 0 and "No such command 'segments'" in err
    flaskbb(site, "plugins", "enable", "community_segments")
    assert "Newcomers" in flaskbb(site, "segments", "list")

    # Our data dropped, the plugin disabled and its setting removed.
    flaskbb(site, "segments", "db", "downgrade")
    assert state(site)["tables"] == []
    assert flaskbb(site, "segments", "db", "current").startswith("none")
    flaskbb(site, "plugins", "disable", "community_segments")
    flaskbb(site, "plugins", "uninstall", "community_segments")
    forum_still_works(site)
    assert state(site)["tables"] == [] and state(site)["flaskbb"] == before["flaskbb"]

    # Back again: enable; FlaskBB's own `db upgrade` brings our tables back.
    flaskbb(site, "plugins", "enable", "community_segments")
    flaskbb(site, "db", "upgrade")
    assert state(site)["tables"] == OUR_TABLES and state(site)["ours"] == [[REVISION]]
    assert "6 default segments created" in flaskbb(site, "segments", "seed-defaults")
    site.restart()
    assert site.login("member").get(OURS).status == 403


# On PostgreSQL only: what it adds to the test above (the 0.1 row moved, pip uninstall,
# cleanup) is the same on both databases, and at ~1 min a run it is the suite's longest.
@pytest.mark.parametrize("fresh_site", ["postgres"], indirect=True)
def test_0_1_row_moves_then_pip_uninstall_then_clean_removal(fresh_site, segments_wheel):
    site = fresh_site
    # 0.1 kept its revision in FlaskBB's alembic_version: any start moves it to ours
    # (the app start of site.python already does).
    site.python(f"db.session.execute(db.text('DROP TABLE {migrate.VERSION_TABLE}'))\n"
                f"db.session.execute(db.text(\"INSERT INTO alembic_version VALUES ('{REVISION}')\"))\n"
                "db.session.commit()")
    moved = state(site)
    assert REVISION not in moved["flaskbb"] and moved["ours"] == [[REVISION]]
    flaskbb(site, "plugins", "install", "community_segments")  # settings rows to remove later
    flaskbb(site, "segments", "seed-defaults")
    before = state(site)
    assert before["settings"] == [["members_per_page"]] and before["plugin"]

    # pip-uninstalled with its tables in place: FlaskBB does not notice them.
    uninstall(site.venv, "community-segments")
    try:
        forum_still_works(site)
        assert site.login("admin").get(OURS).status == 404
    finally:
        install_wheel(site.venv, segments_wheel)
    assert "Newcomers" in flaskbb(site, "segments", "list")

    # docs/FLASKBB.md "Remove the plugin": no table, no alembic row, no plugin row.
    flaskbb(site, "segments", "db", "downgrade")
    flaskbb(site, "plugins", "uninstall", "community_segments")
    # FlaskBB's cleanup forgets only plugins that are disabled and no longer installed.
    flaskbb(site, "plugins", "disable", "community_segments")
    uninstall(site.venv, "community-segments")
    try:
        assert "community_segments" in flaskbb(site, "plugins", "cleanup")
        after = state(site)
        forum_still_works(site)
    finally:
        install_wheel(site.venv, segments_wheel)
    assert after == {"tables": [], "ours": None, "flaskbb": before["flaskbb"],
                     "plugin": [], "settings": []}
