"""Value suggestions for the builder, the API and ``segments values``.

Exact counts while the member table is small; above ``exact_up_to`` member ids the
counts come from a sample of evenly spaced id ranges (primary-key range scans), scaled
up and marked ``about``. Answers are kept for ``ttl`` seconds, so typing ahead and
reopening the builder do not query again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

from . import timeouts
from .errors import NotFound, ValidationError
from .fields import FieldType, FilterField
from .query.values import SUGGESTABLE, Source, ValueCount, id_windows, in_windows, merge, values_query
from .registry import FieldRegistry

MAX_LIMIT = 100
MAX_TYPED = 200
EXACT_UP_TO = 200_000  # member ids; beyond, counts come from a sample
SAMPLE_SIZE = 20_000
TTL = 30.0  # seconds


@dataclass(frozen=True)
class Suggestions:
    field: str
    prefix: str
    items: list[dict]  # {"value", "label", "count"}
    about: bool  # counts estimated from a sample of `sampled` member ids
    sampled: int | None = None


@dataclass
class Cache:
    """A small time-limited cache of answers, per app."""

    ttl: float = TTL
    clock: Callable[[], float] = time.monotonic
    entries: dict = field(default_factory=dict)

    def get(self, key):
        hit = self.entries.get(key)
        if hit is None or self.clock() - hit[0] > self.ttl:
            return None
        return hit[1]

    def put(self, key, value) -> None:
        if len(self.entries) > 512:  # bounded: drop the oldest half
            for old in sorted(self.entries, key=lambda k: self.entries[k][0])[:256]:
                del self.entries[old]
        self.entries[key] = (self.clock(), value)


@dataclass
class ValueSuggester:
    session: sa.orm.Session
    registry: FieldRegistry
    source: Source
    cache: Cache | None = None
    exact_up_to: int = EXACT_UP_TO
    sample_size: int = SAMPLE_SIZE
    timeout_ms: int | None = None

    def suggest(self, key: str, prefix: str = "", limit: int = 10) -> Suggestions:
        found = self._field(key)
        prefix, limit = _typed(prefix), _limit(limit)
        cache_key = (key, prefix.lower(), limit)
        if self.cache is not None and (hit := self.cache.get(cache_key)) is not None:
            return hit
        answer = self._suggest(found, prefix, limit)
        if self.cache is not None:
            self.cache.put(cache_key, answer)
        return answer

    def _field(self, key: str) -> FilterField:
        found = self.registry.get(key)
        if found is None:
            raise NotFound(f"no field {key!r}")
        if found.type not in SUGGESTABLE:
            raise ValidationError({"field": [
                f"{found.type} field {key!r} has no values to suggest "
                f"(only text, enum and multi fields have)"]})
        return found

    def _suggest(self, found: FilterField, prefix: str, limit: int) -> Suggestions:
        within, scale, sampled = self._sample()
        labels = _labels(found)
        if found.type is FieldType.ENUM:  # few values: match labels too, in Python
            rows = self._rows(values_query(found, self.source, within=within))
            counts = [c for c in merge(rows, scale=scale) if _matches(c, labels, prefix)]
            counts.sort(key=lambda c: (not _starts(c, labels, prefix), -c.count, c.value))
        else:
            rows = self._rows(values_query(found, self.source, prefix, limit + 20, within))
            counts = merge(rows, scale=scale)
        items = [{"value": c.value, "label": labels.get(c.value, c.value), "count": c.count}
                 for c in counts[:limit]]
        return Suggestions(found.key, prefix, items, within is not None, sampled)

    def _sample(self):
        """(sample, scale, ids sampled): (None, 1, None) while exact is cheap."""
        member_id, members = self.source.member_id, self.source.members
        # two scalar subqueries: SQLite reads min() or max() of a key from its index end
        # only when each stands alone (together they scan the table: 0.4 s at 1M)
        low, high = self.session.execute(sa.select(
            sa.select(sa.func.min(member_id)).select_from(members).scalar_subquery(),
            sa.select(sa.func.max(member_id)).select_from(members).scalar_subquery())).one()
        if low is None or high - low + 1 <= self.exact_up_to:
            return None, 1.0, None
        windows = id_windows(low, high, self.sample_size)
        covered = sum(hi - lo + 1 for lo, hi in windows)
        return in_windows(windows), (high - low + 1) / covered, covered

    def _rows(self, query):
        return timeouts.execute(self.session, query, self.timeout_ms, "the value suggestions").all()


def _typed(prefix) -> str:
    if prefix is None:
        return ""
    if not isinstance(prefix, str):
        raise ValidationError({"prefix": [f"{prefix!r} is not text"]})
    if len(prefix) > MAX_TYPED:
        raise ValidationError({"prefix": [f"prefix is longer than {MAX_TYPED} characters"]})
    if "\x00" in prefix or any(0xD800 <= ord(c) <= 0xDFFF for c in prefix):
        raise ValidationError({"prefix": [f"{prefix!r} holds a NUL or a lone surrogate"]})
    return prefix


def _limit(limit) -> int:
    if isinstance(limit, str):
        limit = int(limit) if limit.isascii() and limit.isdigit() else limit
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError({"limit": [f"{limit!r} is not a whole number from 1 to {MAX_LIMIT}"]})
    return limit


def _labels(found: FilterField) -> Mapping[str, str]:
    """Readable labels of choices: "Germany (DE)" (the value stays what criteria take)."""
    return {value: f"{name} ({value})" for value, name in (found.choice_labels or {}).items()}


def _matches(count: ValueCount, labels: Mapping[str, str], prefix: str) -> bool:
    typed = prefix.lower()
    return typed in count.value.lower() or typed in labels.get(count.value, "").lower()


def _starts(count: ValueCount, labels: Mapping[str, str], prefix: str) -> bool:
    typed = prefix.lower()
    return (count.value.lower().startswith(typed)
            or labels.get(count.value, "").lower().startswith(typed))
