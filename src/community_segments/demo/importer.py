"""Import members from a JSONL file: validate every line, then write all of them or nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from os import PathLike

import sqlalchemy as sa
from marshmallow import Schema, ValidationError, fields, post_load, validate
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from community_segments import text
from community_segments.errors import SegmentsError
from community_segments.schemas import Text
from community_segments.types import as_utc

from .models import DEFAULT_PRIMARY_ROLE, DEMO_TABLES, PRIMARY_ROLES, Member, db
from .seed import insert_members

TAG_KEYS = ("custom_roles", "groups", "badges")


class ImportFileError(SegmentsError):
    """A file that cannot be imported. ``errors`` lists every problem as (line, message)."""

    def __init__(self, errors: list[tuple[int, str]]):
        self.errors = sorted(errors)
        line, message = self.errors[0]
        more = f" (and {len(self.errors) - 1} more errors)" if len(self.errors) > 1 else ""
        super().__init__(f"line {line}: {message}{more}")


class ISODateTime(fields.Field):
    """An ISO 8601 date or datetime: without a zone it is UTC; a plain date is midnight UTC."""

    default_error_messages = {"invalid": "Not a valid ISO 8601 date or datetime."}

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            return as_utc(datetime.fromisoformat(value))
        except ValueError as error:
            raise self.make_error("invalid") from error


def _tag_names() -> fields.List:
    return fields.List(fields.String(validate=[validate.Length(1, 80), Text(80)]),
                       allow_none=True, load_default=None)


def _optional_text(max_length: int) -> fields.String:
    return fields.String(allow_none=True, load_default=None,
                         validate=[validate.Length(max=max_length), Text(max_length)])


class MemberLineSchema(Schema):
    """One line of the import file; ``null`` or a missing key means unknown."""

    username = fields.String(required=True, validate=[validate.Length(1, 80), Text(80)])
    email = fields.Email(required=True, validate=[validate.Length(max=255), Text(255)])
    job_title = _optional_text(120)
    department = _optional_text(120)
    country = fields.String(allow_none=True, load_default=None, validate=validate.Regexp(
        r"[A-Z]{2}\Z", error="Not an ISO 3166 alpha-2 country code (two capital letters)."))
    primary_role = fields.String(allow_none=True, load_default=None,
                                 validate=validate.OneOf(PRIMARY_ROLES))
    custom_roles = _tag_names()
    groups = _tag_names()
    badges = _tag_names()
    signed_up = ISODateTime(allow_none=True, load_default=None)
    last_activity = ISODateTime(allow_none=True, load_default=None)
    post_count = fields.Integer(strict=True, allow_none=True, load_default=None,
                                validate=validate.Range(min=0))

    @post_load
    def fill_unknowns(self, data: dict, **kwargs) -> dict:
        data["primary_role"] = data["primary_role"] or DEFAULT_PRIMARY_ROLE
        data["post_count"] = data["post_count"] or 0
        for key in TAG_KEYS:
            data[key] = list({name.lower(): name for name in data[key] or ()}.values())
        return data


def import_jsonl(session: Session, path: str | PathLike) -> int:
    """Add the members of a JSONL file in one transaction; raise ImportFileError on any bad line.

    The import owns the session's transaction: it creates the demo tables if missing and
    commits on success; on any failure it rolls back, which also releases read locks.
    """
    reader = _FileReader()
    rows = reader.read(path)
    try:
        connection = session.connection()
        errors = reader.errors + _database_duplicates(connection, reader)
        if errors:
            raise ImportFileError(errors)
        db.metadata.create_all(connection, tables=list(DEMO_TABLES))
        count = insert_members(connection, rows)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return count


class _FileReader:
    """Validates lines and remembers which line claimed each username and email (lower-cased)."""

    def __init__(self):
        self.schema = MemberLineSchema()
        self.errors: list[tuple[int, str]] = []
        self.claimed: dict[str, dict[str, tuple[int, str]]] = {"username": {}, "email": {}}

    def read(self, path: str | PathLike) -> list[dict]:
        rows = []
        for number, raw in _numbered_lines(path):
            row = self._parse(number, raw)
            if row is not None:
                self._claim(number, row)
                rows.append(row)
        return rows

    def _parse(self, number: int, raw: bytes) -> dict | None:
        try:
            value = json.loads(raw.decode("utf-8-sig"))
        except UnicodeDecodeError as error:
            self._error(number, f"not UTF-8 text: {error.reason} at byte {error.start}")
            return None
        except json.JSONDecodeError as error:
            self._error(number, f"not valid JSON: {error.msg} (column {error.colno})")
            return None
        if not isinstance(value, dict):
            self._error(number, f"expected a JSON object, got {type(value).__name__}")
            return None
        for path, messages in text.json_problems(value).items():  # keys too: errors echo them
            self._error(number, f"{path}: {messages[0]}")
            return None
        try:
            return self.schema.load(value)
        except ValidationError as error:
            for message in _flatten(error.messages):
                self._error(number, message)
            return None

    def _claim(self, number: int, row: dict) -> None:
        for key, claimed in self.claimed.items():
            first, _ = claimed.setdefault(row[key].lower(), (number, row[key]))
            if first != number:
                self._error(number, f"{key}: {row[key]!r} is already used on line {first}.")

    def _error(self, number: int, message: str) -> None:
        self.errors.append((number, message))


def _numbered_lines(path: str | PathLike) -> Iterator[tuple[int, bytes]]:
    """Non-blank lines with their numbers, read as bytes so a bad byte is reported on its line."""
    with open(path, "rb") as file:
        for number, raw in enumerate(file, start=1):
            if raw.strip():
                yield number, raw


def _flatten(messages: dict | list, path: str = "") -> Iterator[str]:
    """marshmallow's nested messages as ``field: message`` and ``field[index]: message``."""
    if isinstance(messages, list):
        yield from (f"{path}: {message}" if path else message for message in messages)
        return
    for key, value in messages.items():
        name = f"{path}[{key}]" if isinstance(key, int) else "" if key == "_schema" else key
        yield from _flatten(value, name)


def _database_duplicates(connection: Connection, reader: _FileReader) -> list[tuple[int, str]]:
    """File usernames and emails that members already have, in one streamed pass over members."""
    if not reader.claimed["username"] or not sa.inspect(connection).has_table(Member.__tablename__):
        return []
    existing = (sa.select(sa.func.lower(Member.username), sa.func.lower(Member.email))
                .execution_options(yield_per=10_000))
    errors = []
    for values in connection.execute(existing):
        for (key, claimed), value in zip(reader.claimed.items(), values, strict=True):
            if value in claimed:
                line, original = claimed[value]
                errors.append((line, f"{key}: {original!r} already exists."))
    return errors
