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
from .errors import NotFound, UnknownAudience
from .inputs import as_id
from .query.criteria import Criteria
from .state import EXTENSION, SegmentsState, get_state

PREFIX = "segment:"
BATCH_SIZE = 1000


def connect(app) -> None:
    """Offer this app's segments as audiences to any campaign module."""
    get_state(app).audiences = True
    signals.collect_audiences.connect(collect)
    signals.resolve_audience.connect(resolve)
    signals.audience_groups.connect(groups)


def _state():
    state = current_app.extensions.get(EXTENSION)
    return state if state is not None and state.audiences else None


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
    service, segment_id = state.service(), as_id(audience_id.removeprefix(PREFIX))
    try:
        segment = service.get(segment_id) if segment_id is not None else None
    except NotFound:
        segment = None
    if segment is None:
        raise UnknownAudience(f"audience {audience_id!r} does not exist (deleted?)")
    # parsed once: a broken segment fails here, not mid-send
    return Recipients(state, segment.id, service.checked(segment))


class Recipients:
    """The members of a segment, evaluated when iterated and fetched in keyset batches.

    Each iteration runs the query again, so a campaign sent later reaches the members
    who match then. Memory holds one batch, whatever the segment's size.
    """

    def __init__(self, state: SegmentsState, segment_id: int, criteria: Criteria,
                 batch_size: int = BATCH_SIZE):
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
