"""community-segments: saved, always-current member segments for Flask community platforms."""

from .errors import Conflict, CriteriaError, NotFound, SegmentsError, ValidationError
from .config import SegmentsConfig
from .extension import Segments
from .state import SegmentsState, get_state
from .fields import FieldType, FilterField, Related
from .hooks import hookimpl, hookspec
from .host import Host
from .members import MemberView

__all__ = [
    "Conflict", "CriteriaError", "FieldType", "FilterField", "Host", "MemberView", "NotFound",
    "Related", "Segments", "SegmentsConfig", "SegmentsError", "SegmentsState", "ValidationError", "get_state",
    "hookimpl", "hookspec",
]
