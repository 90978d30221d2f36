"""The JSON API under ``/admin/segments/api/``, thin over the service.

``blueprint`` holds the blueprint and turns errors into JSON; ``helpers`` (a leaf) what
every route uses; the routes live in ``meta``, ``members``, ``segments``, ``groups``,
``history``, ``values`` (value suggestions) and ``insight`` (one member: explain, their
segments, search; who a change adds or removes).
"""

from __future__ import annotations

from . import groups, history, insight, members, meta, segments, values
from .blueprint import api

__all__ = ["api", "groups", "history", "insight", "members", "meta", "segments", "values"]
