"""Built-in provider on every host: the field ``segment`` (in / not in other segments)."""

from __future__ import annotations

from ..fields import FieldType, FilterField
from ..query.references import FIELD
from . import hookimpl

SEGMENT_FIELD = FilterField(
    key=FIELD, label="Segment", type=FieldType.SEGMENT, category="Segments",
    description="Membership of other segments, as they are defined when evaluated.")


class SegmentField:
    __name__ = "community_segments.segments"

    @hookimpl
    def segments_filter_fields(self, host):
        return [SEGMENT_FIELD]


segment_plugin = SegmentField()
