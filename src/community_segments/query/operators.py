"""The operator table: every (field type, operator) once, with all that it means.

An entry gives the operator's key, its one label (the filter builder and the sentence
both use it), its arity (which fixes how its value is cleaned), and its meaning, given
in exactly one of three ways:

- ``sql`` and ``test``: a *positive* operator, as an SQL condition built on a
  :class:`Subject` and as a plain-Python test of a member's value. A positive operator
  is false for a member whose value is empty (NULL in SQL);
- ``twin``: a *negative* operator, true exactly where its positive twin is not, so an
  empty value matches it ("Country is not US" includes members without a country).
  The compiler, the one-pass overview and lookups all negate through this one map;
- ``each``: true where the operator ``each`` holds for every value, one at a time
  (``has_all [a, b]`` is ``has_any [a]`` and ``has_any [b]``).

Adding an operator is one entry here plus its tests (tests/test_operators.py checks
the table against DESIGN.md's list).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from ..fields import FieldType
from .fold import fold


class Arity(StrEnum):
    NONE = "none"      # no value
    ONE = "one"        # a single value of the field's type
    LIST = "list"      # a non-empty list of values
    RANGE = "range"    # [low, high], inclusive
    DAYS = "days"      # whole days >= 0


def _no_related_rows(*conditions) -> sa.ColumnElement[bool]:
    raise TypeError("only multi fields have related rows")


@dataclass(frozen=True)
class Subject:
    """What a rule's SQL is built on.

    ``column`` is the member's value (for multi fields: the related rows' value column);
    ``exists(*conditions)`` (multi fields only) says whether the member has a related
    row meeting the conditions; ``now`` anchors relative dates.
    """

    column: Any
    now: datetime
    exists: Callable[..., sa.ColumnElement[bool]] = field(default=_no_related_rows)


SqlBuilder = Callable[[Subject, Any], sa.ColumnElement[bool]]
Evaluator = Callable[[Any, Any, datetime], bool]  # (member's value, rule value, now)


@dataclass(frozen=True)
class Operator:
    key: str
    label: str
    arity: Arity
    sql: SqlBuilder | None = None
    test: Evaluator | None = None
    twin: str | None = None  # the positive operator this one negates
    each: str | None = None  # the operator that must hold for each value (an AND)

    def __post_init__(self):
        given = [self.sql is not None and self.test is not None, self.twin is not None,
                 self.each is not None]
        if given.count(True) != 1:
            raise ValueError(f"operator {self.key!r}: give sql and test, or twin, or each")

    def build(self, subject: Subject, value) -> sa.ColumnElement[bool]:
        """The SQL of a positive operator (negatives and ``each`` are the caller's)."""
        if self.sql is None:
            raise TypeError(f"{self.key!r} is derived from {self.twin or self.each!r}")
        return self.sql(subject, value)

    def check(self, member_value, value, now: datetime) -> bool:
        """The plain-Python test of a positive operator."""
        if self.test is None:
            raise TypeError(f"{self.key!r} is derived from {self.twin or self.each!r}")
        return self.test(member_value, value, now)


class BadValue(ValueError):
    """A value that does not fit its operator; the message says what is expected."""


def _takes_no_value(value):
    raise BadValue(f"{value!r}: this type takes no value")


@dataclass(frozen=True)
class TypeSpec:
    """A field type: how one value is cleaned, how values compare, and its operators."""

    operators: dict[str, Operator]
    clean: Callable[[Any], Any] = _takes_no_value  # one value of the type; raises BadValue
    caseless: bool = False  # values compare case-insensitively
    value_kind: str = "text"  # what the builder asks for: text, number, date (or a choice)


# -- values ---------------------------------------------------------------------------

MAX_NUMBER = 2**63 - 1  # integers beyond signed 64 bits cannot be bound everywhere
MAX_DAYS = 365_000  # now - N days must stay after year 1


def _clean_text(value):
    if not isinstance(value, str) or not value:
        raise BadValue(f"{value!r} is not a non-empty string")
    return value


def _clean_number(value):
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadValue(f"{value!r} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise BadValue(f"{value!r} is not a finite number")
    if isinstance(value, int) and abs(value) > MAX_NUMBER:
        raise BadValue(f"{value!r} is not an integer between {-MAX_NUMBER} and {MAX_NUMBER}")
    return value


def _clean_date(value):
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        day = date.fromisoformat(value)
        if day == date.max:  # "after" and "between" look at the next day
            raise ValueError
        return day.isoformat()
    except ValueError:
        raise BadValue(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _clean_days(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
        raise BadValue(f"{value!r} is not a whole number of days >= 0 (at most {MAX_DAYS})")
    return value


def clean_value(field_type: FieldType, op: str, value):
    """The value normalised for ``op`` on a field of ``field_type``; raises BadValue."""
    arity = operator(field_type, op).arity
    if arity is Arity.NONE:
        return None
    if value is None:
        raise BadValue("a value is required")
    if arity is Arity.DAYS:
        return _clean_days(value)
    one = TABLE[field_type].clean
    if arity is Arity.ONE:
        return one(value)
    if not isinstance(value, list | tuple):
        raise BadValue(f"{value!r} is not a list")
    if arity is Arity.LIST:
        if not value:
            raise BadValue("the list is empty: give at least one value")
        return tuple(dict.fromkeys(one(v) for v in value))
    if len(value) != 2:
        raise BadValue(f"{value!r} is not a [low, high] pair")
    low, high = (one(v) for v in value)
    if low > high:
        raise BadValue(f"{value!r}: low is greater than high")
    return (low, high)


def values_of(value) -> tuple:
    """A rule's value as a tuple of values (one value, a list, or none)."""
    if value is None:
        return ()
    return tuple(value) if isinstance(value, tuple | list) else (value,)


# -- text and enum --------------------------------------------------------------------

def _folded(s: Subject, value):
    """The column folded to lower case, and the lower-cased values (DESIGN: caseless)."""
    values = values_of(value)
    return fold(s.column, *values), [v.lower() for v in values]


def _text_sql(compare):
    def build(s: Subject, value):
        col, lower = _folded(s, value)
        return compare(col, lower)
    return build


def _text_test(compare):
    """A Python test on the lower-cased value; an empty value never matches."""
    def test(v, value, now):
        return v is not None and v != "" and compare(v.lower(), [x.lower() for x in values_of(value)])
    return test


def _text_not_empty_sql(s: Subject, value):
    # length() > 0, not <> '': MariaDB's PAD SPACE collations find '  ' equal to ''.
    # NULL for a NULL column, which a strict reader (or the twin's IS NULL) counts as false.
    return sa.func.length(s.column) > 0


def _text_op(key, label, compare_sql, compare_py, arity=Arity.ONE):
    return Operator(key, label, arity, sql=_text_sql(compare_sql), test=_text_test(compare_py))


def _text_operators(*, enum: bool) -> list[Operator]:
    """Text and enum share their meaning; enums read "is"/"is not" and add lists."""
    equals = _text_op("equals", "is" if enum else "equals",
                      lambda col, low: col == low[0], lambda v, low: v == low[0])
    not_equals = Operator("not_equals", "is not" if enum else "does not equal", Arity.ONE,
                          twin="equals")
    empty = [Operator("is_empty", "is empty", Arity.NONE, twin="is_not_empty"),
             Operator("is_not_empty", "is not empty", Arity.NONE, sql=_text_not_empty_sql,
                      test=lambda v, value, now: v is not None and v != "")]
    if enum:
        return [equals, not_equals,
                _text_op("in", "is any of", lambda col, low: col.in_(low),
                         lambda v, low: v in low, Arity.LIST),
                Operator("not_in", "is none of", Arity.LIST, twin="in"), *empty]
    return [equals, not_equals,
            _text_op("contains", "contains",
                     lambda col, low: col.contains(low[0], autoescape=True),
                     lambda v, low: low[0] in v),
            Operator("not_contains", "does not contain", Arity.ONE, twin="contains"),
            _text_op("starts_with", "starts with",
                     lambda col, low: col.startswith(low[0], autoescape=True),
                     lambda v, low: v.startswith(low[0])),
            _text_op("ends_with", "ends with",
                     lambda col, low: col.endswith(low[0], autoescape=True),
                     lambda v, low: v.endswith(low[0])),
            *empty]


# -- number -----------------------------------------------------------------------------

def _present(compare):
    """A Python test that is false on an empty (None) value."""
    return lambda v, value, now: v is not None and compare(v, value)


def _is_not_null_sql(s: Subject, value):
    return s.column.is_not(None)


_NOT_NULL = _present(lambda v, value: True)


def _number_operators() -> list[Operator]:
    def op(key, label, sql, test, arity=Arity.ONE):
        return Operator(key, label, arity, sql=lambda s, value: sql(s.column, value),
                        test=_present(test))
    return [
        op("equals", "equals", lambda c, v: c == v, lambda m, v: m == v),
        Operator("not_equals", "does not equal", Arity.ONE, twin="equals"),
        op("gt", "is greater than", lambda c, v: c > v, lambda m, v: m > v),
        op("gte", "is at least", lambda c, v: c >= v, lambda m, v: m >= v),
        op("lt", "is less than", lambda c, v: c < v, lambda m, v: m < v),
        op("lte", "is at most", lambda c, v: c <= v, lambda m, v: m <= v),
        op("between", "is between", lambda c, v: c.between(*v),
           lambda m, v: v[0] <= m <= v[1], Arity.RANGE),
        Operator("is_empty", "is empty", Arity.NONE, twin="is_not_empty"),
        Operator("is_not_empty", "is not empty", Arity.NONE, sql=_is_not_null_sql, test=_NOT_NULL),
    ]


# -- date -------------------------------------------------------------------------------
# Dates compare the member's day in UTC; relative days compare moments (DESIGN.md).

def _moment(col, moment: datetime):
    """``moment`` (aware UTC) in the form the column compares with."""
    kind = col.type
    if isinstance(kind, TypeDecorator):
        return moment
    if isinstance(kind, sa.DateTime):
        return moment if kind.timezone else moment.replace(tzinfo=None)
    if isinstance(kind, sa.Date):
        return moment.date()
    return moment.replace(tzinfo=None)


def _midnight(day: str | date) -> datetime:
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime.combine(day, time(), UTC)


def _cutoff(col, now: datetime, days: int):
    cutoff = now - timedelta(days=days)
    if isinstance(col.type, sa.Date) and not isinstance(col.type, sa.DateTime):
        return cutoff.date()
    return _moment(col, cutoff)


ONE_DAY = timedelta(days=1)


def _day_of(v) -> date:
    """A member's date or datetime as its UTC day (a naive datetime is UTC)."""
    if isinstance(v, datetime):
        return v.astimezone(UTC).date() if v.tzinfo else v.date()
    return v


def _recent(v, days: int, now: datetime) -> bool:
    cutoff = now - timedelta(days=days)
    if not isinstance(v, datetime):
        return v >= cutoff.date()
    return (v if v.tzinfo else v.replace(tzinfo=UTC)) >= cutoff


def _date_operators() -> list[Operator]:
    def day(compare):
        return _present(lambda v, value: compare(_day_of(v), value))

    def iso(text: str) -> date:
        return date.fromisoformat(text)

    return [
        Operator("before", "is before", Arity.ONE,
                 sql=lambda s, v: s.column < _moment(s.column, _midnight(v)),
                 test=day(lambda d, v: d < iso(v))),
        Operator("after", "is after", Arity.ONE,
                 sql=lambda s, v: s.column >= _moment(s.column, _midnight(v) + ONE_DAY),
                 test=day(lambda d, v: d > iso(v))),
        Operator("between", "is between", Arity.RANGE,
                 sql=lambda s, v: sa.and_(s.column >= _moment(s.column, _midnight(v[0])),
                                          s.column < _moment(s.column, _midnight(v[1]) + ONE_DAY)),
                 test=day(lambda d, v: iso(v[0]) <= d <= iso(v[1]))),
        Operator("less_than_days_ago", "less than N days ago", Arity.DAYS,
                 sql=lambda s, v: s.column >= _cutoff(s.column, s.now, v),
                 test=lambda m, v, now: m is not None and _recent(m, v, now)),
        Operator("more_than_days_ago", "more than N days ago", Arity.DAYS,
                 twin="less_than_days_ago"),
        Operator("is_empty", "is empty", Arity.NONE, twin="is_not_empty"),
        Operator("is_not_empty", "is not empty", Arity.NONE, sql=_is_not_null_sql, test=_NOT_NULL),
    ]


# -- boolean ----------------------------------------------------------------------------

def _boolean_operators() -> list[Operator]:
    return [Operator("is_true", "is true", Arity.NONE, sql=lambda s, v: s.column == sa.true(),
                     test=lambda m, v, now: m is True),
            Operator("is_false", "is false", Arity.NONE, twin="is_true")]


# -- multi ------------------------------------------------------------------------------
# Multi conditions are (NOT) EXISTS, never NOT IN (subquery): DESIGN.md's measured traps.

def has_value(column, values) -> sa.ColumnElement[bool]:
    """A related row whose value is one of ``values`` (case-insensitive)."""
    return fold(column, *values).in_([v.lower() for v in values])


def _multi_operators() -> list[Operator]:
    def lowered(tags) -> set[str]:
        return {t.lower() for t in tags or ()}

    return [
        Operator("has_any", "has any of", Arity.LIST,
                 sql=lambda s, v: s.exists(has_value(s.column, v)),
                 test=lambda m, v, now: bool(lowered(m) & lowered(v))),
        Operator("has_all", "has all of", Arity.LIST, each="has_any"),
        Operator("has_none", "has none of", Arity.LIST, twin="has_any"),
        Operator("is_empty", "is empty", Arity.NONE, twin="is_not_empty"),
        Operator("is_not_empty", "is not empty", Arity.NONE, sql=lambda s, v: s.exists(),
                 test=lambda m, v, now: bool(m)),
    ]


# -- segment ----------------------------------------------------------------------------
# `segment in [5, 7]`: the member is in segment 5 or 7. Its SQL is the referenced criteria,
# inlined by the compiler and the overview (query/references.py), never built here.

MAX_ID = 2**31 - 1  # segment ids are INTEGER columns


def _clean_segment_id(value):
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise BadValue(f"{value!r} is not a segment id")
    return value


def _inlined(s: Subject, value):
    raise TypeError("segment references are inlined by the compiler, not built from a column")


def _segment_operators() -> list[Operator]:
    # the member's value for the Python test: the ids of the segments it is in
    return [Operator("in", "in segment", Arity.LIST, sql=_inlined,
                     test=lambda m, v, now: bool(set(m or ()) & set(values_of(v)))),
            Operator("not_in", "not in segment", Arity.LIST, twin="in")]


def _by_key(operators: list[Operator]) -> dict[str, Operator]:
    return {op.key: op for op in operators}


TABLE: dict[FieldType, TypeSpec] = {
    FieldType.TEXT: TypeSpec(_by_key(_text_operators(enum=False)), _clean_text, caseless=True),
    FieldType.ENUM: TypeSpec(_by_key(_text_operators(enum=True)), _clean_text, caseless=True),
    FieldType.NUMBER: TypeSpec(_by_key(_number_operators()), _clean_number, value_kind="number"),
    FieldType.DATE: TypeSpec(_by_key(_date_operators()), _clean_date, value_kind="date"),
    FieldType.BOOLEAN: TypeSpec(_by_key(_boolean_operators()), value_kind="none"),
    FieldType.MULTI: TypeSpec(_by_key(_multi_operators()), _clean_text, caseless=True),
    FieldType.SEGMENT: TypeSpec(_by_key(_segment_operators()), _clean_segment_id,
                                value_kind="segment"),
}

# The operator keys of each type, in the builder's order.
BY_TYPE: dict[FieldType, tuple[str, ...]] = {t: tuple(spec.operators) for t, spec in TABLE.items()}


def operator(field_type: FieldType, op: str) -> Operator:
    """The entry for ``op`` on ``field_type``; KeyError if the type has no such operator."""
    return TABLE[field_type].operators[op]


def operators_for(field_type: FieldType) -> list[Operator]:
    return list(TABLE[field_type].operators.values())


def value_kind(field_type: FieldType, op: str, has_choices: bool = False) -> str:
    """What one value of ``op`` is, for a form: none, days, text, number, date or choice."""
    arity = operator(field_type, op).arity
    if arity is Arity.NONE:
        return "none"
    if arity is Arity.DAYS:
        return "days"
    if has_choices and field_type in (FieldType.ENUM, FieldType.MULTI):
        return "choice"
    return TABLE[field_type].value_kind


def evaluate(field_type: FieldType, op: str, member_value, value, now: datetime) -> bool:
    """Whether a member whose value is ``member_value`` meets ``op value`` (DESIGN.md).

    ``member_value``: a str, number, bool, date or datetime (naive means UTC), or None;
    for multi fields an iterable of the member's values.
    """
    entry = operator(field_type, op)
    if entry.twin is not None:
        return not evaluate(field_type, entry.twin, member_value, value, now)
    if entry.each is not None:
        return all(evaluate(field_type, entry.each, member_value, (v,), now)
                   for v in values_of(value))
    return entry.check(member_value, value, now)
