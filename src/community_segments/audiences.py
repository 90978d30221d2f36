"""Segments as email-campaign audiences, answered over the shared blinker signals.

A campaign module sends ``campaigns.collect-audiences`` and ``campaigns.resolve-audience``
(inside an app context) without importing this package. The receivers are module-level
functions (blinker keeps weak references) connected once per process; each app that
calls :func:`connect` opts in, and a receiver answers only for the current app.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import current_app

from . import signals
from .errors import NotFound

PREFIX = "segment:"
OPTION = "audiences"
BATCH_SIZE = 1000


def connect(app) -> None:
    """Offer this app's segments as audiences to any campaign module."""
    from .extension import get_state
    get_state(app).options[OPTION] = True
    signals.collect_audiences.connect(collect)
    signals.resolve_audience.connect(resolve)
    signals.audience_groups.connect(groups)


def _state():
    state = current_app.extensions.get("community_segments")
    return state if state is not None and state.options.get(OPTION) else None


def collect(sender, **kwargs) -> list[dict]:
    """Every segment that can be evaluated, as an audience with its live count."""
    state = _state()
    if state is None:
        return []
    return [{"id": f"{PREFIX}{c.segment.id}", "label": c.segment.title,
             "description": c.segment.description, "count": c.count}
            for c in state.service().counts() if not c.broken]


def groups(sender, **kwargs) -> dict[str, str]:
    """``{"segment:<id>": <segment group name>}`` for grouped segments, for audience menus."""
    state = _state()
    if state is None:
        return {}
    return {f"{PREFIX}{s.id}": s.group.name for s in state.service().list_segments() if s.group}


def resolve(sender, audience_id: str = "", **kwargs) -> Recipients | None:
    """The recipients of ``segment:<id>``; None for ids that are not ours."""
    state = _state()
    if state is None or not isinstance(audience_id, str) or not audience_id.startswith(PREFIX):
        return None
    number = audience_id.removeprefix(PREFIX)
    is_id = number.isascii() and number.isdigit()
    try:
        segment = state.service().get(int(number)) if is_id else None
    except NotFound:
        segment = None
    if segment is None:
        raise NotFound(f"audience {audience_id!r} does not exist (deleted?)")
    state.service().parse(segment.criteria)  # a broken segment fails here, not mid-send
    return Recipients(state, segment.id, segment.criteria)


class Recipients:
    """The members of a segment, evaluated when iterated and fetched in keyset batches.

    Each iteration runs the query again, so a campaign sent later reaches the members
    who match then. Memory holds one batch, whatever the segment's size.
    """

    def __init__(self, state, segment_id: int, criteria: dict, batch_size: int = BATCH_SIZE):
        self.state, self.segment_id, self.criteria = state, segment_id, criteria
        self.batch_size = batch_size

    def __iter__(self) -> Iterator[dict]:
        view = self.state.view
        rows = self.state.service().stream_members(self.criteria, batch_size=self.batch_size)
        for row in rows:
            yield {**row, "name": row[view.name_column]}

    def count(self) -> int:
        return self.state.service().count(self.criteria)

    def __repr__(self) -> str:
        return f"<Recipients of segment {self.segment_id}>"
