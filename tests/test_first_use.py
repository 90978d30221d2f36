"""A generic host as a newcomer wires it from the README (issue 11): Flask-Login with
``is_admin=lambda: current_user.is_admin``, a multi field over a link table and a table
of names, our tables created with ``flask segments db upgrade``, plugins that fail."""

from __future__ import annotations

import logging
import random
import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_login import LoginManager, UserMixin, current_user, login_user
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from community_segments import FilterField, Related, Segments, get_state, hookimpl, migrate
from community_segments.errors import FieldDefinitionError, PluginError, UnknownAudience

from .campaign_side import audiences, resolve_audience

TAGS = ["python", "flask", "sql", "rust", "go"]


def make_host(url: str, plugins=(), related=None):
    """A Flask + Flask-SQLAlchemy + Flask-Login community with users, tags and a link table."""
    class Base(DeclarativeBase):
        pass

    db = SQLAlchemy(model_class=Base)

    class User(UserMixin, db.Model):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        username: Mapped[str] = mapped_column(sa.String(80), unique=True)
        email: Mapped[str] = mapped_column(sa.String(120))
        is_admin: Mapped[bool] = mapped_column(default=False)

    tags = db.Table("tags", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("name", sa.String(40), nullable=False))
    user_tags = db.Table("user_tags",
                         sa.Column("user_id", sa.ForeignKey("users.id"), primary_key=True),
                         sa.Column("tag_id", sa.ForeignKey("tags.id"), primary_key=True))

    class TagPlugin:
        __name__ = "first_use.tags"

        @hookimpl
        def segments_filter_fields(self, host):
            rel = (related or (lambda: Related(user_tags, user_tags.c.user_id, tags.c.name)))()
            return [FilterField(key="tags", label="Tags", type="multi", related=rel)]

    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="first-use", TESTING=True)
    db.init_app(app)
    login = LoginManager(app)
    login.login_view = "login"
    login.user_loader(lambda user_id: db.session.get(User, int(user_id)))

    @app.get("/login")
    def login():
        return "log in here"

    @app.get("/test-login/<name>")
    def test_login(name):
        login_user(db.session.scalars(sa.select(User).filter_by(username=name)).one())
        return "ok"

    Segments(app, db=db, user_model=User, plugins=[TagPlugin(), *plugins],
             entry_points=False, is_admin=lambda: current_user.is_admin)
    with app.app_context():
        db.create_all()
    app.models = db, User, tags, user_tags
    return app


def seed(app, members: int = 60, seed_value: int = 11) -> dict[int, set[str]]:
    """Members with random tags; returns each member's tags (the truth to compare with)."""
    db, User, tags, user_tags = app.models
    rng = random.Random(seed_value)
    truth = {}
    with app.app_context():
        db.session.execute(sa.insert(tags), [{"id": i, "name": n} for i, n in enumerate(TAGS, 1)])
        db.session.add(User(id=1, username="admin", email="admin@x.org", is_admin=True))
        db.session.add(User(id=2, username="mallory", email="m@x.org"))
        links = []
        for uid in range(3, members + 3):
            db.session.add(User(id=uid, username=f"u{uid}", email=f"u{uid}@x.org"))
            truth[uid] = set(rng.sample(TAGS, rng.randint(0, 3)))
            links += [{"user_id": uid, "tag_id": TAGS.index(t) + 1} for t in truth[uid]]
        truth[1] = truth[2] = set()
        db.session.flush()
        db.session.execute(sa.insert(user_tags), links)
        db.session.commit()
    return truth


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["segments", *args])


@pytest.fixture
def host(db_url):
    app = make_host(db_url)
    yield app
    with app.app_context():
        app.models[0].engine.dispose()


# -- 5: our tables, by command and by the documented function ----------------------------


def test_pages_and_cli_name_the_upgrade_command_while_our_tables_are_missing(host):
    seed(host)
    client = host.test_client()
    client.get("/test-login/admin")
    for path in ("/admin/segments/", "/admin/segments/api/segments"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "run `flask segments db upgrade`" in response.get_data(as_text=True)
    result = cli(host, "list")
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert re.fullmatch(r"Error: the community-segments tables are missing \(cs_\w+, cs_\w+"
                        r"( and \d+ more)?\): run `flask segments db upgrade`", line), line


def test_db_upgrade_current_downgrade_commit_on_every_database(host):
    db = host.models[0]
    result = cli(host, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"none (no tables) -> {migrate.head()}" in result.output
    with host.app_context():
        # seen from another connection: the DDL and the version row were committed
        engine = sa.create_engine(db.engine.url)
        with engine.connect() as other:
            assert migrate.missing_tables(other) == []
            assert migrate.current(other) == (migrate.head(),)
        engine.dispose()
    assert cli(host, "db", "current").output.strip() == f"{migrate.head()} (up to date)"
    assert cli(host, "count", "--criteria", '{"rules": []}').output.strip() == "0"
    assert cli(host, "db", "downgrade").exit_code == 0
    with host.app_context():
        assert {"cs_segment", "cs_segment_group"} <= set(migrate.missing_tables(db.engine))
    bad = cli(host, "db", "upgrade", "nonsense")
    assert bad.exit_code == 1 and bad.output.startswith("Error: revision 'nonsense'")


def test_migrate_upgrade_on_a_plain_connection_creates_the_tables(host):
    """The README's ``migrate.upgrade(connection)`` on ``engine.connect()``: on PostgreSQL
    the connection used to roll everything back on close."""
    db = host.models[0]
    with host.app_context():
        with db.engine.connect() as connection:
            migrate.upgrade(connection)
        with db.engine.connect() as connection:
            assert migrate.missing_tables(connection) == []
            assert migrate.current(connection) == (migrate.head(),)


# -- 3: Related joins the value table itself ----------------------------------------------


def test_the_readme_related_gives_the_true_counts(host):
    truth = seed(host)
    with host.app_context():
        migrate.upgrade(host.models[0].engine)
        service = get_state(host).service()

        def count(op, values):
            return service.count({"rules": [{"field": "tags", "op": op, "value": values}]})

        for values in (["python"], ["python", "rust"], ["sql", "go", "flask"]):
            wanted = set(values)
            assert count("has_any", values) == sum(1 for t in truth.values() if t & wanted)
            assert count("has_all", values) == sum(1 for t in truth.values() if wanted <= t)
            assert count("has_none", values) == sum(1 for t in truth.values() if not t & wanted)
        assert count("has_all", ["python", "rust"]) < count("has_any", ["python", "rust"])


def test_related_without_a_foreign_key_refuses_at_start_up(db_url):
    loose = sa.Table("loose_tags", sa.MetaData(), sa.Column("user_id", sa.Integer),
                     sa.Column("tag", sa.Integer))
    names = sa.Table("tag_names", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("name", sa.String(40)))
    with pytest.raises(FieldDefinitionError) as caught:
        make_host(db_url, related=lambda: Related(loose, loose.c.user_id, names.c.name))
    message = str(caught.value)
    assert "no single foreign key links to loose_tags" in message
    assert "Related(loose_tags.join(tag_names, " in message


# -- 4: admin checks only for users who are logged in -------------------------------------


def test_anonymous_visitors_are_sent_to_log_in_and_never_reach_is_admin(host):
    seed(host)
    with host.app_context():
        migrate.upgrade(host.models[0].engine)
    client = host.test_client()
    page = client.get("/admin/segments/members")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login?next=")
    api = client.get("/admin/segments/api/segments")
    assert api.status_code == 403 and api.get_json() == {"message": "Admin permission required."}
    client.get("/test-login/mallory")
    assert client.get("/admin/segments/").status_code == 403
    client.get("/test-login/admin")
    assert client.get("/admin/segments/").status_code == 200


# -- 6: plugins that fail, or are misspelled ----------------------------------------------


class ExplodingPlugin:
    """A plugin written for another host: its hook looks up a table this host lacks."""

    __name__ = "first_use.exploding"

    @hookimpl
    def segments_filter_fields(self, host):
        raise sa.exc.NoSuchTableError("badges")


class MisspelledPlugin:
    __name__ = "first_use.misspelled"

    @hookimpl
    def segment_filter_fields(self, host):  # sic: "segment", not "segments"
        return []


def test_a_failing_plugin_is_logged_and_shown_and_the_host_still_starts(db_url, caplog):
    with caplog.at_level(logging.ERROR, logger="community_segments"):
        app = make_host(db_url, plugins=[ExplodingPlugin()])
    assert "first_use.exploding" in caplog.text and "NoSuchTableError" in caplog.text
    seed(app)
    with app.app_context():
        migrate.upgrade(app.models[0].engine)
        service = get_state(app).service()
        segment = service.create("Badged", {"rules": [{"field": "tags", "op": "is_empty"}]},
                                 actor="t")
        segment.criteria = {"rules": [{"field": "badges", "op": "is_not_empty"}]}
        app.models[0].session.commit()
        broken = service.problem(service.get(segment.id))
    assert "unknown field 'badges'" in broken and "first_use.exploding" in broken
    fields = cli(app, "fields")
    assert fields.exit_code == 0 and "tags" in fields.output
    assert "unavailable: the fields of plugin 'first_use.exploding'" in fields.output
    client = app.test_client()
    client.get("/test-login/admin")
    overview = client.get("/admin/segments/").get_data(as_text=True)
    assert 'id="cs-plugin-failures"' in overview and "first_use.exploding" in overview
    assert re.search(r"Broken:</strong>[^<]*first_use\.exploding", overview)


def test_a_misspelled_hook_is_a_start_up_error_naming_it(db_url):
    with pytest.raises(PluginError) as caught:
        make_host(db_url, plugins=[MisspelledPlugin()])
    assert str(caught.value).startswith(
        "plugin 'first_use.misspelled' implements 'segment_filter_fields', which is not a "
        "hook of community_segments (did you mean 'segments_filter_fields'?)")


# -- 9: a campaign module catches LookupError, importing nothing of ours -------------------


def test_an_unknown_audience_is_a_lookup_error(host):
    seed(host)
    with host.app_context():
        migrate.upgrade(host.models[0].engine)
        assert audiences() == []
        with pytest.raises(LookupError) as caught:
            resolve_audience.send(None, audience_id="segment:999")
    assert isinstance(caught.value, UnknownAudience)
    assert str(caught.value) == "audience 'segment:999' does not exist (deleted?)"
