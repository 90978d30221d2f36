"""The field catalogue: every filter field described for user interfaces, in one place.

The API's fields endpoint, the pages' filter builder (its JSON), the forms and the CLI
``fields`` command all describe fields through :func:`describe_fields`, so they cannot
drift apart. Each operator carries everything a builder needs to draw its value input
without knowing any operator itself: its ``label`` (the same words as the sentence),
its ``arity`` (none, one, list, range, days) and its ``value`` kind (none, days, text,
number, date, or choice: one of the field's ``choices``); ``choice_labels`` names
choices for people (``{"DE": "Germany"}``) where the field gives them.

Pure: no Flask. Computed choices need a SQLAlchemy session; without one they are None.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from .fields import FieldType, FilterField
from .query.operators import operators_for, value_kind
from .registry import FieldRegistry


def describe_operators(field: FilterField) -> list[dict[str, str]]:
    has_choices = field.choices is not None
    return [{"key": op.key, "label": op.label, "arity": str(op.arity),
             "value": value_kind(field.type, op.key, has_choices)}
            for op in operators_for(field.type)]


def describe_field(field: FilterField, session: Any = None) -> dict[str, Any]:
    described = {"key": field.key, "label": field.label, "type": str(field.type),
                 "category": field.category, "description": field.description,
                 "provider": field.provider, "choices": field.choice_list(session),
                 "choice_labels": dict(field.choice_labels) if field.choice_labels else None,
                 "operators": describe_operators(field)}
    if field.type is FieldType.SEGMENT and session is not None:
        described["options"] = segment_options(session)
    return described


def segment_options(session: Any) -> list[dict[str, Any]]:
    """Every segment as a value of ``segment in``: its id, title and group (for grouping),
    in the overview's order."""
    import sqlalchemy as sa

    from .models import Segment, SegmentGroup
    rows = session.execute(
        sa.select(Segment.id, Segment.title, SegmentGroup.name).outerjoin(Segment.group)
        .order_by(SegmentGroup.position.is_(None), SegmentGroup.position, SegmentGroup.id,
                  Segment.position, Segment.id))
    return [{"value": ident, "label": title, "group": group or "Ungrouped"}
            for ident, title, group in rows]


def describe_fields(registry: FieldRegistry, session: Any = None) -> list[dict[str, Any]]:
    """Every field of ``registry``, in registration order."""
    return [describe_field(field, session) for field in registry]


def by_category(described: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Described fields grouped by category, each group and its fields sorted by label."""
    ordered = sorted(described, key=lambda f: (f["category"], f["label"]))
    return [{"category": category, "fields": list(fields)}
            for category, fields in groupby(ordered, key=lambda f: f["category"])]
