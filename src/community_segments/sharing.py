"""Counts shared between requests: one evaluation in flight per question, per process,
and optionally a short-lived copy in the host's cache.

Fifty admins opening the overview at once ask the same question; the first request runs
it and the others wait for its answer instead of scanning the members 49 more times.
With ``SEGMENTS_COUNTS_MAX_AGE`` > 0 the answer is also kept that many seconds in the
host's Flask-Caching cache (FlaskBB has one; shared between its worker processes when
it is Redis), and the page says how old each number is. The default, 0, is live.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import has_request_context, request

from .errors import QueryTimeout

PREFIX = "community_segments:counts:"
ARRIVED = "community_segments.arrived"  # in a request's WSGI environ: time.monotonic()


def arrived() -> float | None:
    """When the current request reached the plugin's admin check, if in one."""
    return request.environ.get(ARRIVED) if has_request_context() else None


@dataclass
class _Call:
    started: float = field(default_factory=time.monotonic)
    ended: float = float("inf")  # until it has finished
    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: BaseException | None = None


class SingleFlight:
    """``run(key, fn)``: concurrent callers with the same key share one call of ``fn``.

    A caller that says ``since`` (when its request arrived, ``time.monotonic()``) also
    takes the answer of a call that has finished, if the request arrived before the call
    ended: had the request reached the question at once, it would have joined that call
    in flight, so the answer is as live as joining gives (asked at most one evaluation's
    length before the request came in, never before the question changed: a changed
    segment is another question). A burst of identical requests then costs one
    evaluation, not one more for the requests whose own work (login, the segment list)
    took them past its end.
    """

    KEPT = 32  # finished answers remembered (distinct questions), newest kept

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, _Call] = {}
        self._finished: OrderedDict[str, _Call] = OrderedDict()

    def run(self, key: str, fn: Callable[[], Any], wait: float | None = None,
            since: float | None = None) -> Any:
        with self._lock:
            finished = self._finished.get(key)
            if since is not None and finished is not None and finished.ended >= since:
                return finished.value
            call = self._calls.get(key)
            leader = call is None
            if call is None:
                call = self._calls[key] = _Call()
        if not leader:
            return self._follow(call, wait)
        try:
            call.value = fn()
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            self._finish(key, call)
        return call.value

    def _finish(self, key: str, call: _Call) -> None:
        with self._lock:
            call.ended = time.monotonic()
            del self._calls[key]
            if call.error is None:
                self._finished[key] = call
                self._finished.move_to_end(key)
                while len(self._finished) > self.KEPT:
                    self._finished.popitem(last=False)
        call.done.set()

    @staticmethod
    def _follow(call: _Call, wait: float | None) -> Any:
        if not call.done.wait(wait):
            raise QueryTimeout(f"the segment overview took longer than {wait:g} s; "
                               "simplify it or add an index", seconds=wait)
        if call.error is not None:
            raise call.error
        return call.value

    def __len__(self) -> int:
        return len(self._calls)


@dataclass(frozen=True)
class Answer:
    value: Any
    as_of: datetime  # when the database was asked
    cached: bool = False


@dataclass
class SharedCounts:
    """One per app: the single-flight table, and the cache when ``max_age`` is set."""

    max_age: int = 0
    cache: Any = None  # a Flask-Caching backend (``get``/``set(key, value, timeout)``)
    flights: SingleFlight = field(default_factory=SingleFlight)

    # Kept per state of the segment table (listing.py), per shared answer, and the
    # overview's JSON per result: a burst of requests that read the same segments and
    # share one answer build and serialise the result once.
    prepared: OrderedDict[Any, Any] = field(default_factory=OrderedDict)
    results: OrderedDict[Any, Any] = field(default_factory=OrderedDict)
    dumped: OrderedDict[Any, Any] = field(default_factory=OrderedDict)

    def answer(self, question: str, compute: Callable[[], Any],
               wait: float | None = None, since: float | None = None) -> Answer:
        key = PREFIX + hashlib.sha256(question.encode()).hexdigest()
        if self.max_age and self.cache is not None:
            found = self.cache.get(key)
            if found is not None:
                value, as_of = found
                return Answer(value, as_of, cached=True)
        answer = self.flights.run(key, lambda: Answer(compute(), datetime.now(UTC)), wait,
                                  since)
        if self.max_age and self.cache is not None:
            self.cache.set(key, (answer.value, answer.as_of), timeout=self.max_age)
        return answer


def host_cache(app) -> Any:
    """The app's Flask-Caching backend, if it has one (FlaskBB does)."""
    caches = app.extensions.get("cache") or {}
    return next(iter(caches.values()), None) if isinstance(caches, dict) else None


def remembered(table: OrderedDict, key: Any, build: Callable[[], Any], kept: int = 8) -> Any:
    """``build()``, remembered under ``key`` (the few newest keys are kept)."""
    try:
        return table[key]
    except KeyError:
        pass
    value = table[key] = build()
    while len(table) > kept:
        try:
            table.popitem(last=False)
        except KeyError:  # another thread emptied it first
            break
    return value


def derived(table: OrderedDict, sources: tuple, build: Callable[[], Any],
            extra: Any = None) -> Any:
    """``build()`` from ``sources`` (shared objects: a listing, an answer), remembered
    while they are the very same objects (and ``extra`` is equal).

    Keyed by identity, not by value: hashing an answer would cost what building from it
    costs. The entry keeps its sources alive, so no other object takes their ids while
    it lasts: the same ids are the same objects.
    """
    return remembered(table, (*map(id, sources), extra), lambda: (sources, build()))[1]
