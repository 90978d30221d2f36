"""Not migrations: a marker for ``flaskbb install`` and ``flaskbb upgrade``.

FlaskBB runs a plugin's Alembic branch on install only when ``<plugin package>/migrations``
exists and is not empty. Our scripts live in ``community_segments/migrations`` (the branch
label is that folder's parent, ``community_segments``), and ``flaskbb_load_migrations``
points FlaskBB there.
"""
