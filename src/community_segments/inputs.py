"""Reading values at the boundaries (pages, API, CLI, forms), each rule in one place:
ids, paging and sorting, JSON text, and the percentage a count is of all members.

Pure functions over plain values; no Flask, no database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .errors import ValidationError

MAX_ID = 2**31 - 1  # ids are INTEGER columns; larger numbers cannot be bound everywhere
MAX_PAGE = 1_000_000
MAX_PER_PAGE = 500
DIRECTIONS = ("asc", "desc")


# -- ids ---------------------------------------------------------------------------------

def is_number(text: str) -> bool:
    """Plain ASCII digits: what ``int()`` reads as an id (``"²".isdigit()`` is true too)."""
    return text.isascii() and text.isdigit()


def as_id(ident: Any) -> int | None:
    """``ident`` as a row id, or None when it cannot be one (a title, or out of range)."""
    if isinstance(ident, str) and is_number(ident):
        ident = int(ident)
    if isinstance(ident, bool) or not isinstance(ident, int):
        return None
    return ident if 0 < ident <= MAX_ID else None


def optional_int(value: Any, name: str) -> int | None:
    """A whole number from a form or JSON value ("" and None: no value)."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool | float):
            raise ValueError
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({name: [f"{value!r} is not a whole number"]}) from None


def id_list(text: str) -> list[int]:
    """Ids from comma-separated text (``"3,5"``)."""
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValidationError({"ids": [f"{text!r} is not a comma-separated list of ids"]}) from None


# -- paging and sorting ------------------------------------------------------------------

def check_sort(sort: str, direction: str, sortable: Sequence[str]) -> None:
    if sort not in sortable:
        raise ValidationError({"sort": [f"{sort!r} is not sortable; use one of: "
                                        f"{', '.join(sortable)}"]})
    if direction not in DIRECTIONS:
        raise ValidationError({"direction": [f"{direction!r} is not 'asc' or 'desc'"]})


def check_page(page: int, per_page: int) -> None:
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationError({"page": [f"page must be 1 to {MAX_PAGE} "
                                        f"and per_page 1 to {MAX_PER_PAGE}"]})


def page_number(text: Any) -> int:
    """A page number from a query argument."""
    try:
        page = int(text)
        if not 1 <= page <= MAX_PAGE:
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError({"page": [f"{text!r} is not a page number "
                                        f"(1 to {MAX_PAGE})"]}) from None
    return page


# -- JSON --------------------------------------------------------------------------------

class BadJSON(ValueError):
    """JSON text that does not load; ``too_deep`` when it nests past Python's recursion limit."""

    def __init__(self, reason: str, too_deep: bool = False):
        self.too_deep = too_deep
        super().__init__(reason)


def load_json(text: str | bytes) -> Any:
    """The value in ``text``; raises :class:`BadJSON` (never RecursionError)."""
    try:
        return json.loads(text)
    except ValueError as exc:  # also UnicodeDecodeError for bytes that are not UTF-8
        raise BadJSON(str(exc)) from None
    except RecursionError:
        raise BadJSON("it nests too deeply", too_deep=True) from None


# -- figures -----------------------------------------------------------------------------

def percent(count: int, total: int) -> float:
    """``count`` as a share of ``total`` members, in percent with one decimal (0 of 0: 0.0)."""
    return round(100.0 * count / total, 1) if total else 0.0
