"""Keyset cursors: where a page of members ends, as opaque text for an ``after=`` link.

A member page is ordered by ``(sort value IS NULL, sort value asc|desc, id)``; the key
of a row is that triple. A cursor carries the key of the last row shown, with the sort
it was made for, as URL-safe base64 JSON. It is not secret and not signed: whatever a
client sends is decoded strictly (shape, sort, direction, the value's type against the
sort column's type, values every database can bind) and reaches SQL only as bound
parameters, so a forged cursor can only point somewhere else in the same ordering.

Pure functions over plain values; no Flask, no database.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import ValidationError
from .inputs import MAX_ID

VERSION = 1
MAX_LENGTH = 4096  # characters of cursor text: a key is one value and an id
INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # BIGINT: the widest integer every database binds

# The tags (one letter for the value's type) a column of each Python type accepts.
_ACCEPTS: dict[type, frozenset[str]] = {
    bool: frozenset("b"), int: frozenset("i"), float: frozenset("fi"),
    Decimal: frozenset("mfi"), str: frozenset("s"), datetime: frozenset("t"),
    date: frozenset("d"),
}


@dataclass(frozen=True)
class Key:
    """Where a row sits in a page's ordering: its sort value (None: empty) and id."""

    sort: str
    direction: str
    value: Any
    id: int

    def encode(self) -> str:
        tag, plain = _tagged(self.value)
        data = [VERSION, self.sort, self.direction, tag, plain, self.id]
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _tagged(value: Any) -> tuple[str | None, Any]:
    if value is None:
        return None, None
    if isinstance(value, bool):
        return "b", value
    if isinstance(value, int):
        return "i", value
    if isinstance(value, float):
        return "f", value
    if isinstance(value, Decimal):
        return "m", str(value)
    if isinstance(value, datetime):
        return "t", value.isoformat()
    if isinstance(value, date):
        return "d", value.isoformat()
    return "s", str(value)


def decode(text: str, sort: str, direction: str, python_type: type | None,
           name: str = "after") -> Key:
    """The key in cursor ``text``, made for ``sort`` and ``direction`` over a column of
    ``python_type`` (None: unknown, any tagged value is taken); ValidationError naming
    ``name`` otherwise."""
    data = _payload(text, name)
    if not (isinstance(data, list) and len(data) == 6 and data[0] == VERSION):
        raise _bad(name, "is not a cursor of this version: follow the page's links again")
    _, made_sort, made_direction, tag, plain, ident = data
    if made_sort != sort or made_direction != direction:
        raise _bad(name, f"was made for sorting by {made_sort!r} {made_direction!r}, not "
                         f"{sort!r} {direction!r}: drop it or sort as it says")
    if isinstance(ident, bool) or not isinstance(ident, int) or not 0 < ident <= MAX_ID:
        raise _bad(name, f"holds {ident!r}, which is not a member id")
    return Key(sort, direction, _value(tag, plain, python_type, name), ident)


def _payload(text: str, name: str) -> Any:
    if not isinstance(text, str) or not text or len(text) > MAX_LENGTH:
        raise _bad(name, f"must be 1 to {MAX_LENGTH} characters of cursor text")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return json.loads(raw.decode(), parse_constant=_no_constant)
    except (binascii.Error, ValueError, RecursionError):  # also UnicodeDecodeError
        raise _bad(name, "is not a cursor (garbled or cut short): follow the page's "
                         "links again") from None


def _no_constant(word: str):
    raise ValueError(f"{word} is not a number")


def _value(tag: Any, plain: Any, python_type: type | None, name: str) -> Any:
    if tag is None and plain is None:
        return None
    if tag not in _READERS:
        raise _bad(name, f"holds a value of unknown type {tag!r}")
    if python_type in _ACCEPTS and tag not in _ACCEPTS[python_type]:
        raise _bad(name, f"holds a {_KINDS[tag]}, but the sort column holds "
                         f"{python_type.__name__} values")
    try:
        return _READERS[tag](plain)
    except (TypeError, ValueError, InvalidOperation, OverflowError):
        raise _bad(name, f"holds {plain!r}, which is not a {_KINDS[tag]}") from None


def _text(plain: Any) -> str:
    if not isinstance(plain, str) or any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in plain):
        raise ValueError
    return plain


def _integer(plain: Any) -> int:
    if isinstance(plain, bool) or not isinstance(plain, int) or not INT_MIN <= plain <= INT_MAX:
        raise ValueError
    return plain


def _real(plain: Any) -> float:
    if isinstance(plain, bool) or not isinstance(plain, int | float) or not math.isfinite(plain):
        raise ValueError
    return float(plain)


def _decimal(plain: Any) -> Decimal:
    number = Decimal(_text(plain))
    if not number.is_finite():
        raise ValueError
    return number


def _boolean(plain: Any) -> bool:
    if not isinstance(plain, bool):
        raise ValueError
    return plain


_READERS = {
    "s": _text, "i": _integer, "f": _real, "m": _decimal, "b": _boolean,
    "t": lambda plain: datetime.fromisoformat(_text(plain)),
    "d": lambda plain: date.fromisoformat(_text(plain)),
}
_KINDS = {"s": "text", "i": "whole number", "f": "number", "m": "decimal number",
          "t": "date and time", "d": "date", "b": "true/false value"}


def _bad(name: str, reason: str) -> ValidationError:
    return ValidationError({name: [f"{name} {reason}"]})
