"""The demo community: a small Flask app on SQLite with the member profile of the seed.

``create_app`` reads ``DATABASE_URL`` (default: a SQLite file in the instance folder).
"""

from __future__ import annotations

import gc
import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, abort, flash, redirect, render_template, request, session, url_for

from .. import migrate
from ..extension import Segments
from ..members import MemberView
from ..web.security import SAFE_METHODS, csrf_valid, request_text_problems
from . import campaigns
from .fields import demo_plugin
from .models import DEMO_TABLES, Member, db

MAX_REQUEST_BYTES = 2 * 1024 * 1024
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "same-origin",
}


def _secret_key(instance: Path) -> str:
    """The instance's key, made once: processes starting together all read the same one.

    The key is written whole to a temporary file and hard-linked into place, which fails
    if another process got there first; so nobody ever reads a partly written file.
    """
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=instance, prefix=".secret_key.",
                                         delete=False) as temp:
            temp.write(secrets.token_hex(32))
        try:
            os.link(temp.name, path)
        except FileExistsError:
            pass  # another process won the race: use its key
        finally:
            os.unlink(temp.name)
    return path.read_text().strip()


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    instance = Path(app.instance_path)
    default_db = f"sqlite:///{instance / 'community.sqlite'}"
    app.config.update(
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL", default_db),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        DEMO_ADMIN_USERNAME="admin",
        DEMO_ADMIN_PASSWORD=os.environ.get("DEMO_ADMIN_PASSWORD", "admin"),
        DEMO_PASSWORD_METHOD=os.environ.get("DEMO_PASSWORD_METHOD", "scrypt"),
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
    )
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or _secret_key(instance)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        instance.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    Segments(app, db=db, user_model=Member, member_view=member_view(), plugins=[demo_plugin],
             host_name="demo", column_fields=False, is_admin=is_admin, actor=actor,
             is_authenticated=lambda: current_member() is not None,
             defaults={"layout": "community_segments/demo_layout.html", "login_endpoint": "login"})
    with app.app_context():
        ensure_schema()
    campaigns.init_app(app, is_admin=is_admin)
    _routes(app)
    return app


def member_view() -> MemberView:
    names = ("id", "username", "email", "job_title", "department", "country", "primary_role",
             "signed_up", "last_activity", "post_count")
    return MemberView(model=Member, columns={n: getattr(Member, n) for n in names},
                      sortable=names[1:])  # every column shown


def ensure_schema() -> None:
    """Create the demo tables and run our migrations; cheap when both are there."""
    with db.engine.begin() as connection:
        existing = set(sa.inspect(connection).get_table_names())
        if not {t.name for t in DEMO_TABLES} <= existing:
            db.metadata.create_all(connection, tables=list(DEMO_TABLES))
        migrate.upgrade(connection)


def settle() -> None:
    """Call once the app is loaded, just before serving: the collector's full passes then
    skip everything loaded so far.

    A full (generation 2) collection walks every tracked object: with Flask, SQLAlchemy
    and the app loaded, 55-66 ms each time, and one fell inside a burst of 50 overview
    requests in every benchmark run, holding all of them (docs/SCALING.md).
    ``gc.freeze()`` moves what exists now to a generation the collector never walks;
    later full passes took 2 ms.
    """
    gc.collect()
    gc.freeze()


def current_member() -> sa.Row | None:
    """The logged-in member (``id``, ``username``, ``primary_role``), read once a request
    as a plain row: the pages need no more, and an ORM object for it cost a burst of 50
    admins about 15% of the server's time (docs/BENCHMARKS.md)."""
    member_id = session.get("member_id")
    known = request.environ.get("demo.member")
    if known is None or known[0] != member_id:
        known = (member_id, _member_row(member_id) if member_id else None)
        request.environ["demo.member"] = known
    return known[1]


# Built once: a statement object reused keeps its cache key, so SQLAlchemy need not
# build and hash it again at every request.
_MEMBER = sa.select(Member.id, Member.username, Member.primary_role).where(
    Member.id == sa.bindparam("member_id"))


def _member_row(member_id) -> sa.Row | None:
    return db.session.connection().execute(_MEMBER, {"member_id": member_id}).first()


def is_admin() -> bool:
    member = current_member()
    return member is not None and member.primary_role == "Administrator"


def actor() -> str | None:
    member = current_member()
    return member.username if member else None


def _routes(app: Flask) -> None:
    @app.context_processor
    def _member():
        return {"current_member": current_member(), "has_campaigns": "campaigns" in app.blueprints}

    @app.before_request
    def _csrf():
        """The demo's own forms (login, logout) carry the session's CSRF token; blueprints
        (segments, campaigns) check theirs after telling non-admins apart."""
        if request.blueprint is None and request.method not in SAFE_METHODS and not csrf_valid():
            abort(400, "The CSRF token is missing or invalid.")

    @app.before_request
    def _text():
        """The segments blueprint checks its own requests (after telling non-admins apart)."""
        if request.blueprint and request.blueprint.startswith("community_segments"):
            return
        errors = request_text_problems()
        if errors:
            abort(422, "; ".join(f"{path}: {m}" for path, ms in errors.items() for m in ms))

    @app.after_request
    def _headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.get("/")
    def index():
        return render_template("demo/index.html", members=db.session.scalar(
            sa.select(sa.func.count()).select_from(Member)))

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "POST":
            member = db.session.scalars(sa.select(Member).where(
                Member.username == request.form.get("username", ""))).first()
            if member and member.check_password(request.form.get("password", "")):
                session.clear()
                session["member_id"] = member.id
                return redirect(_safe_next(request.args.get("next")))
            flash("Wrong username or password.")
        return render_template("demo/login.html"), 200 if request.method == "GET" else 401

    @app.post("/logout")
    def logout():
        session.clear()
        return redirect(url_for("index"))


def _safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else the home page (no open redirect).

    Browsers drop tabs and line breaks from URLs and read ``\\`` as ``/``, so
    ``/\t/evil.example`` and ``/\\evil.example`` would leave the site: any control
    character, space or backslash is refused, as is anything with a scheme or host.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return url_for("index")
    if "\\" in target or any(ord(char) <= 0x20 or ord(char) == 0x7F for char in target):
        return url_for("index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("index")
    return target
