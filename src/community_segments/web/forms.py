"""What the pages read from a request, and the field catalog the filter builder is drawn from."""

from __future__ import annotations

import json
from itertools import groupby
from typing import Any

import sqlalchemy as sa

from ..errors import CriteriaError, ValidationError
from ..fields import FieldType
from ..query.operators import operators_for
from ..query.tree import Group

EMPTY_CRITERIA = {"match": "all", "rules": []}
SORT_DIRECTIONS = ("asc", "desc")
MAX_PAGE = 1_000_000


def field_catalog(registry, session) -> list[dict]:
    """Fields grouped by category, each with the operators and choices that fit its type."""
    fields = sorted(registry, key=lambda f: (f.category, f.label))
    return [{"category": category, "fields": [_field(f, session) for f in group]}
            for category, group in groupby(fields, key=lambda f: f.category)]


def _field(field, session) -> dict:
    data = {"key": field.key, "label": field.label, "type": str(field.type),
            "choices": field.choice_list(session),
            "operators": [{"key": op.key, "label": op.label, "arity": str(op.arity)}
                          for op in operators_for(field.type)]}
    if field.choice_labels:
        data["labels"] = dict(field.choice_labels)
    if field.type is FieldType.SEGMENT:
        data["options"] = segment_options(session)
    return data


def segment_options(session) -> list[dict]:
    """Every segment as a choice for ``segment in``: id, title and group (for optgroups)."""
    from ..models import Segment, SegmentGroup
    rows = session.execute(
        sa.select(Segment.id, Segment.title, SegmentGroup.name).outerjoin(Segment.group)
        .order_by(SegmentGroup.position.is_(None), SegmentGroup.position, SegmentGroup.id,
                  Segment.position, Segment.id))
    return [{"value": ident, "label": title, "group": group or "Ungrouped"}
            for ident, title, group in rows]


def criteria_text(criteria: Any) -> str:
    """Criteria as the JSON text shown in forms (raw text is kept as the user typed it)."""
    if isinstance(criteria, str):
        return criteria
    return json.dumps(criteria if criteria is not None else EMPTY_CRITERIA)


def load_criteria(text: str | None) -> Any:
    """The criteria document in ``text`` (empty: every member); raises CriteriaError."""
    if text is None or not text.strip():
        return dict(EMPTY_CRITERIA)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CriteriaError({"": [f"criteria are not valid JSON: {exc}"]}) from None
    except RecursionError:
        raise CriteriaError({"": ["criteria nest too deeply"]}) from None


def paging(args, sortable, default_sort: str) -> dict:
    """page, sort and direction from query arguments; raises ValidationError."""
    try:
        page = int(args.get("page", 1))
        if not 1 <= page <= MAX_PAGE:
            raise ValueError
    except ValueError:
        raise ValidationError({"page": [f"{args.get('page')!r} is not a page number "
                                        f"(1 to {MAX_PAGE})"]}) from None
    sort = args.get("sort", default_sort)
    if sort not in sortable:
        raise ValidationError({"sort": [f"{sort!r} is not sortable; use one of: "
                                        f"{', '.join(sortable)}"]})
    direction = args.get("direction", "asc")
    if direction not in SORT_DIRECTIONS:
        raise ValidationError({"direction": [f"{direction!r} is not 'asc' or 'desc'"]})
    return {"page": page, "sort": sort, "direction": direction}


def difference(service, old: Any, new: Any) -> tuple[int, int]:
    """(members in new and not old, members in old and not new), counted in SQL.

    Both are differences of plain counts, so neither needs a negated condition (a NULL-
    yielding rule would make ``NOT old`` drop members).
    """
    old_tree, new_tree = service.parse(old), service.parse(new)
    both = service.evaluator.count(Group("all", (old_tree, new_tree)))
    return (service.evaluator.count(new_tree) - both, service.evaluator.count(old_tree) - both)


def group_choice(form) -> int | str | None:
    """The group picked in a save form: an id, a new name, or None (ungrouped)."""
    picked = form.get("group", "")
    if picked == "new":
        name = form.get("new_group", "").strip()
        if not name:
            raise ValidationError({"new_group": ["name the new group"]})
        return name
    if picked and not is_number(picked):
        raise ValidationError({"group": [f"{picked!r} is not a group id"]})
    return int(picked) if picked else None


def is_number(text: str) -> bool:
    """Plain ASCII digits: what ``int()`` reads as an id (``"²".isdigit()`` is true too)."""
    return text.isascii() and text.isdigit()


def json_body(request) -> Any:
    """The request's JSON, or None when it is missing, malformed or nested too deeply."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def optional_int(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool | float):
            raise ValueError
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({name: [f"{value!r} is not a whole number"]}) from None


def segment_ids(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValidationError({"ids": [f"{text!r} is not a comma-separated list of ids"]}) from None
