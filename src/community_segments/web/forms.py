"""What the pages read from a request, and the field catalog the filter builder is drawn from.

The rules themselves (ids, paging, JSON) live in :mod:`community_segments.inputs`, shared
with the API and the CLI; criteria are parsed once, here, into a ``Criteria`` value.
"""

from __future__ import annotations

import json
from typing import Any

from ..catalogue import by_category, describe_fields
from ..errors import ValidationError
from ..inputs import BadJSON, check_sort, is_number, load_json, page_number
from ..query.criteria import EMPTY, Criteria, parse_text
from ..registry import FieldRegistry


def field_catalog(registry, session) -> list[dict]:
    """The field catalogue grouped by category: what the filter builder is drawn from."""
    return by_category(describe_fields(registry, session))


def criteria_text(criteria: Any) -> str:
    """Criteria as the JSON text shown in forms (raw text is kept as the user typed it)."""
    if isinstance(criteria, str):
        return criteria
    return json.dumps(criteria if criteria is not None else EMPTY)


def criteria(text: str | None, registry: FieldRegistry) -> Criteria:
    """The criteria typed in a form (empty: every member); raises CriteriaError."""
    return parse_text(text, registry)


def paging(args, sortable, default_sort: str) -> dict:
    """page, sort, direction and the ``after``/``before`` cursors from query arguments;
    raises ValidationError (a bad cursor too, when the page is read)."""
    page = page_number(args.get("page", 1))
    sort, direction = args.get("sort", default_sort), args.get("direction", "asc")
    check_sort(sort, direction, sortable)
    return {"page": page, "sort": sort, "direction": direction,
            "after": args.get("after") or None, "before": args.get("before") or None}


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


def json_body(request) -> Any:
    """The request's JSON, or None when it is missing, malformed or nested too deeply."""
    if not request.is_json:
        return None
    try:
        return load_json(request.get_data(cache=True))
    except BadJSON:
        return None
