"""What a forum admin does: install, upgrade, roll back, disable, re-enable."""

from __future__ import annotations

import json

OUR_TABLES = ["cs_segment", "cs_segment_group"]
REVISION = "7d2c1b4a9e01"
OURS = "/admin/segments/static/no-such-file.css"
STATE = """
import json
tables = sorted(t for t in db.inspect(db.engine).get_table_names() if t.startswith("cs_"))
versions = db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalars().all()
print(json.dumps({"tables": tables, "ours": "%s" in versions}))
"""


def state(site) -> dict:
    return json.loads(site.python(STATE % REVISION))


def flaskbb(site, *args) -> str:
    code, out, err = site.cli(*args)
    assert code == 0, err[-2000:]
    assert "already exists" not in err
    return out


def test_install_upgrade_downgrade_disable_enable(fresh_site):
    site = fresh_site
    # `flaskbb install` ran our branch, and FlaskBB's create_all() did not make our tables
    # first: `db upgrade` finds nothing to do and nothing "already exists".
    assert state(site) == {"tables": OUR_TABLES, "ours": True}
    flaskbb(site, "db", "upgrade")
    site.start()
    assert site.login("member").get(OURS).status == 403

    # Removal: roll our branch back first (a disabled plugin's migrations are unknown
    # to FlaskBB), then disable and restart.
    flaskbb(site, "db", "downgrade", "community_segments@base")
    assert state(site) == {"tables": [], "ours": False}
    flaskbb(site, "plugins", "disable", "community_segments")
    site.restart()
    assert site.client().get("/").status == 200
    admin = site.login("admin")
    assert admin.get("/admin/").status == 200 and admin.get("/admin/plugins").status == 200
    assert site.login("member").get(OURS).status == 404
    code, _, err = site.cli("segments", "list")
    assert code != 0 and "No such command 'segments'" in err
    flaskbb(site, "db", "upgrade")  # a disabled plugin's branch is left alone
    flaskbb(site, "plugins", "uninstall", "community_segments")
    assert state(site) == {"tables": [], "ours": False}

    # Back again: enable, upgrade, restart.
    flaskbb(site, "plugins", "enable", "community_segments")
    flaskbb(site, "db", "upgrade")
    assert state(site) == {"tables": OUR_TABLES, "ours": True}
    assert "6 default segments created" in flaskbb(site, "segments", "seed-defaults")
    site.restart()
    assert site.login("member").get(OURS).status == 403
