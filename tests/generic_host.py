"""A minimal generic Flask + Flask-SQLAlchemy host, as a platform admin would wire it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from community_segments import FilterField, Related, Segments, hookimpl, migrate


def make_app(url: str, plugins=(), **options) -> tuple[Flask, SQLAlchemy, type]:
    class Base(DeclarativeBase):
        pass

    db = SQLAlchemy(model_class=Base)

    class User(db.Model):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        username: Mapped[str] = mapped_column(sa.String(80), unique=True)
        email: Mapped[str] = mapped_column(sa.String(120))
        password: Mapped[str | None] = mapped_column(sa.String(120))
        karma: Mapped[int | None]
        verified: Mapped[bool] = mapped_column(default=False)
        signed_up: Mapped[datetime | None]

    tags = db.Table("user_tags", sa.Column("user_id", sa.Integer, index=True),
                    sa.Column("tag", sa.String(40)))

    class TagPlugin:
        __name__ = "tests.tags"

        @hookimpl
        def segments_filter_fields(self, host):
            return [FilterField(key="tags", label="Tags", type="multi",
                                related=Related(tags, tags.c.user_id, tags.c.tag))]

    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="test", TESTING=True)
    db.init_app(app)
    Segments(app, db=db, user_model=User, plugins=[TagPlugin(), *plugins],
             entry_points=False, **options)
    with app.app_context():
        db.create_all()
        with db.engine.begin() as connection:
            migrate.upgrade(connection)
    app.tags = tags
    return app, db, User
