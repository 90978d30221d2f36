"""Evaluation that fails one segment at a time, never a whole page.

A segment whose query the database refuses (a plugin field's SQL, a value stored before
today's checks, anything specific to it) becomes an :class:`EvaluationError` carrying a
short reason; the overview then counts the others one by one and shows that segment
broken. Our own errors (a timeout, bad criteria) and a lost connection pass through
unchanged: they are not about one segment.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import sqlalchemy as sa

from .errors import EvaluationError, SegmentsError

log = logging.getLogger("community_segments")


def reason(exc: BaseException) -> str:
    """What a page says (the database's own message, which may quote SQL, goes to the log)."""
    return (f"the database could not evaluate it ({type(exc).__name__}); "
            "the server log has the details")


@contextmanager
def evaluating(evaluator, what: str = "a segment query") -> Iterator[None]:
    try:
        yield
    except SegmentsError:
        raise
    except Exception as exc:
        if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
            raise
        evaluator.reset()
        log.warning("evaluating %s failed", what, exc_info=True)
        raise EvaluationError(reason(exc)) from exc


def census(evaluator, criteria: Mapping[int, object]) -> tuple[int, dict[int, int], dict[int, str]]:
    """(member total, counts, problems) by number: one pass over all of them, or, when
    the database refuses that pass, one query each, so only the failing ones are broken."""
    numbers = list(criteria)
    try:
        with evaluating(evaluator, "the overview"):
            total, found = evaluator.census([criteria[n] for n in numbers])
        return total, dict(zip(numbers, found, strict=True)), {}
    except EvaluationError:
        pass
    found, problems = {}, {}
    for number in numbers:
        try:
            with evaluating(evaluator):
                found[number] = evaluator.count(criteria[number])
        except EvaluationError as exc:
            problems[number] = exc.errors["criteria"][0]
    return evaluator.total(), found, problems


def stream(evaluator, rows: Iterator[dict]) -> Iterator[dict]:
    """``rows`` with a database failure part-way turned into an EvaluationError."""
    with evaluating(evaluator, "a member stream"):
        yield from rows
