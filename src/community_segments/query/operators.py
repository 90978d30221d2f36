"""The operator table: every operator once, with its label, its value and the types it serves.

The same labels feed the filter builder and the sentence that describes a segment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ..fields import FieldType


class Arity(StrEnum):
    NONE = "none"      # no value
    ONE = "one"        # a single value of the field's type
    LIST = "list"      # a non-empty list of values
    RANGE = "range"    # [low, high], inclusive
    DAYS = "days"      # whole days >= 0


@dataclass(frozen=True)
class Operator:
    key: str
    label: str
    arity: Arity
    negative: bool = False  # negatives also match members whose value is empty


OPERATORS = {op.key: op for op in [
    Operator("equals", "equals", Arity.ONE),
    Operator("not_equals", "does not equal", Arity.ONE, negative=True),
    Operator("contains", "contains", Arity.ONE),
    Operator("not_contains", "does not contain", Arity.ONE, negative=True),
    Operator("starts_with", "starts with", Arity.ONE),
    Operator("ends_with", "ends with", Arity.ONE),
    Operator("is_empty", "is empty", Arity.NONE),
    Operator("is_not_empty", "is not empty", Arity.NONE),
    Operator("in", "is any of", Arity.LIST),
    Operator("not_in", "is none of", Arity.LIST, negative=True),
    Operator("gt", "is greater than", Arity.ONE),
    Operator("gte", "is at least", Arity.ONE),
    Operator("lt", "is less than", Arity.ONE),
    Operator("lte", "is at most", Arity.ONE),
    Operator("between", "is between", Arity.RANGE),
    Operator("before", "is before", Arity.ONE),
    Operator("after", "is after", Arity.ONE),
    Operator("less_than_days_ago", "less than N days ago", Arity.DAYS),
    Operator("more_than_days_ago", "more than N days ago", Arity.DAYS),
    Operator("is_true", "is true", Arity.NONE),
    Operator("is_false", "is false", Arity.NONE),
    Operator("has_any", "has any of", Arity.LIST),
    Operator("has_all", "has all of", Arity.LIST),
    Operator("has_none", "has none of", Arity.LIST, negative=True),
]}

BY_TYPE: dict[FieldType, tuple[str, ...]] = {
    FieldType.TEXT: ("equals", "not_equals", "contains", "not_contains", "starts_with",
                     "ends_with", "is_empty", "is_not_empty"),
    FieldType.ENUM: ("equals", "not_equals", "in", "not_in", "is_empty", "is_not_empty"),
    FieldType.NUMBER: ("equals", "not_equals", "gt", "gte", "lt", "lte", "between",
                       "is_empty", "is_not_empty"),
    FieldType.DATE: ("before", "after", "between", "less_than_days_ago",
                     "more_than_days_ago", "is_empty", "is_not_empty"),
    FieldType.BOOLEAN: ("is_true", "is_false"),
    FieldType.MULTI: ("has_any", "has_all", "has_none", "is_empty", "is_not_empty"),
    FieldType.SEGMENT: ("in", "not_in"),
}

# Where a type reads better with its own words ("Primary role is Registered user").
TYPE_LABELS = {
    (FieldType.ENUM, "equals"): "is",
    (FieldType.ENUM, "not_equals"): "is not",
    (FieldType.SEGMENT, "in"): "in segment",
    (FieldType.SEGMENT, "not_in"): "not in segment",
}


def label(field_type: FieldType, op: str) -> str:
    return TYPE_LABELS.get((field_type, op), OPERATORS[op].label)


def operators_for(field_type: FieldType) -> list[Operator]:
    return [OPERATORS[key] for key in BY_TYPE[field_type]]


# -- values ---------------------------------------------------------------------------

MAX_NUMBER = 2**63 - 1  # integers beyond signed 64 bits cannot be bound everywhere
MAX_DAYS = 365_000  # now - N days must stay after year 1
MAX_ID = 2**31 - 1  # segment ids are INTEGER columns


class BadValue(ValueError):
    """A value that does not fit its operator; the message says what is expected."""


def _text(value, field_type):
    if not isinstance(value, str) or not value:
        raise BadValue(f"{value!r} is not a non-empty string")
    return value


def _number(value, field_type):
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadValue(f"{value!r} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise BadValue(f"{value!r} is not a finite number")
    if isinstance(value, int) and abs(value) > MAX_NUMBER:
        raise BadValue(f"{value!r} is not an integer between {-MAX_NUMBER} and {MAX_NUMBER}")
    return value


def _date(value, field_type):
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        day = date.fromisoformat(value)
        if day == date.max:  # "after" and "between" look at the next day
            raise ValueError
        return day.isoformat()
    except ValueError:
        raise BadValue(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _segment_id(value, field_type):
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise BadValue(f"{value!r} is not a segment id")
    return value


SCALAR = {
    FieldType.TEXT: _text, FieldType.ENUM: _text, FieldType.MULTI: _text,
    FieldType.NUMBER: _number, FieldType.DATE: _date, FieldType.SEGMENT: _segment_id,
}


def clean_value(field_type: FieldType, op: str, value):
    """The value normalised for ``op`` on a field of ``field_type``; raises BadValue."""
    arity = OPERATORS[op].arity
    if arity is Arity.NONE:
        return None
    if value is None:
        raise BadValue("a value is required")
    if arity is Arity.DAYS:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
            raise BadValue(f"{value!r} is not a whole number of days >= 0 (at most {MAX_DAYS})")
        return value
    one = SCALAR[field_type]
    if arity is Arity.ONE:
        return one(value, field_type)
    if not isinstance(value, list | tuple):
        raise BadValue(f"{value!r} is not a list")
    if arity is Arity.LIST:
        if not value:
            raise BadValue("the list is empty: give at least one value")
        return tuple(dict.fromkeys(one(v, field_type) for v in value))
    if len(value) != 2:
        raise BadValue(f"{value!r} is not a [low, high] pair")
    low, high = (one(v, field_type) for v in value)
    if low > high:
        raise BadValue(f"{value!r}: low is greater than high")
    return (low, high)
