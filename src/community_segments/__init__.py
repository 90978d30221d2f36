"""community-segments: saved, always-current member segments for Flask community platforms."""

from .errors import Conflict, CriteriaError, NotFound, SegmentsError, ValidationError
from .extension import Segments, SegmentsState, get_state
from .fields import FieldType, FilterField, Related
from .hooks import hookimpl, hookspec
from .host import Host
from .members import MemberView

__all__ = [
    "Conflict", "CriteriaError", "FieldType", "FilterField", "Host", "MemberView", "NotFound",
    "Related", "Segments", "SegmentsError", "SegmentsState", "ValidationError", "get_state",
    "hookimpl", "hookspec",
]
