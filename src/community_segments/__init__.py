"""community-segments: saved, always-current member segments for Flask community platforms."""

from .config import SegmentsConfig
from .errors import Conflict, CriteriaError, NotFound, SegmentsError, ValidationError
from .extension import Segments
from .fields import FieldType, FilterField, Related
from .hooks import hookimpl, hookspec
from .host import Host
from .members import MemberView
from .state import SegmentsState, get_state

__all__ = [
    "Conflict", "CriteriaError", "FieldType", "FilterField", "Host", "MemberView", "NotFound",
    "Related", "Segments", "SegmentsConfig", "SegmentsError", "SegmentsState", "ValidationError", "get_state",
    "hookimpl", "hookspec",
]
