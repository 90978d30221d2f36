"""How the pages show things: numbers, dates, column names, error pages, overlap findings.

Kept apart from the views so they stay thin: nothing here changes data.
"""

from __future__ import annotations

import json
from datetime import datetime

from flask import jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from .. import signals
from ..errors import CriteriaError
from ..history import web as history
from ..inputs import percent
from ..query.tree import Group
from ..service import SegmentCount
from ..state import get_state
from .export import cell

NEAR_SUBSET = 80.0  # percent of a segment inside another that is worth naming
ERROR_TITLES = {404: "Not found", 405: "Not allowed", 500: "Something went wrong"}


def register_filters(blueprint) -> None:
    blueprint.add_app_template_filter(show_cell, "cs_cell")
    blueprint.add_app_template_filter(number, "cs_number")
    blueprint.add_app_template_filter(when, "cs_when")


def number(value) -> str:
    """Thousands separators: 20001 -> '20,001'."""
    return f"{value:,}" if isinstance(value, int) else str(value)


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "unknown"


def show_cell(value, labels=None):
    """A member table cell; a choice with a label reads 'Germany (DE)'."""
    shown = cell(value)
    if labels and isinstance(value, str) and value in labels:
        return f"{labels[value]} ({value})"
    return number(shown) if isinstance(shown, int) and not isinstance(shown, bool) else shown


def column_names(registry, columns, session=None) -> dict:
    """Column headings (the field's label where a field has the column's name) and the
    choice labels of columns that have them."""
    headers, labels = {}, {}
    for column in columns:
        field = registry.get(column)
        headers[column] = field.label if field else column.replace("_", " ").capitalize()
        if field is not None and field.choice_labels:
            labels[column] = field.choice_labels
    return {"headers": headers, "labels": labels}


def last_known(service, segments: list, total: int) -> list[SegmentCount]:
    """Each segment as the overview shows it before the live counts: broken (its stored
    criteria do not check, found without evaluating them) or its count at the last
    refresh (``as_of``), None where there is none."""
    known = history.last_counts(segments)
    items = []
    for segment in segments:
        try:
            criteria = service.checked(segment)
        except CriteriaError as exc:
            items.append(SegmentCount(segment, None, None, exc.one_line()))
            continue
        last = known.get(segment.id)
        items.append(SegmentCount(segment, None, None, criteria=criteria) if last is None else
                     SegmentCount(segment, last.count, percent(last.count, total),
                                  criteria=criteria, as_of=last.at))
    return items


def group_totals(service, by_group: dict) -> dict:
    """Members in at least one segment of each group, counted in one pass over all groups."""
    trees, ids = [], []
    for group_id, items in by_group.items():
        parsed = [item.criteria.tree if item.criteria else service.parse(item.segment.criteria)
                  for item in items if not item.broken]
        if parsed:
            trees.append(Group("any", tuple(parsed)))
            ids.append(group_id)
    return dict(zip(ids, service.evaluator.counts(trees), strict=True)) if trees else {}


def matching_groups(query: str, by_group: dict) -> set:
    """The groups (None: ungrouped) to show for a title search: every one without a query."""
    needle = query.lower()
    return {group for group, items in by_group.items()
            if not needle or any(needle in item.segment.title.lower() for item in items)}


def near_subsets(result) -> list[tuple[float, object, object]]:
    """(share, a, b): most (not all) of a is in b, largest share first."""
    found = []
    for i, a in enumerate(result.segments):
        for j, b in enumerate(result.segments):
            share = result.share(i, j)
            if i != j and NEAR_SUBSET <= share < 100.0:
                found.append((share, a, b))
    return sorted(found, key=lambda entry: -entry[0])


def both_url(a, b) -> str:
    """The member overview of the members in both segments (their criteria ANDed)."""
    if a.id == b.id:
        return url_for("community_segments.pages.detail", segment_id=a.id)
    criteria = {"match": "all", "rules": [a.criteria, b.criteria]}
    return url_for("community_segments.pages.members", criteria=json.dumps(criteria))


def compose_url(segment) -> str | None:
    """The campaign module's compose form for this segment, if a module offers one."""
    if not get_state().audiences:
        return None
    answers = signals.compose_url.send(None, audience_id=f"segment:{segment.id}")
    return next((url for _receiver, url in answers if isinstance(url, str) and url), None)


def error_page(exc, rendered):
    """An error inside the host layout with a way back; JSON for the pages' scripts."""
    code = exc.code if isinstance(exc, HTTPException) and exc.code else 500
    message = _message(exc, code)
    if request.is_json or request.endpoint == "community_segments.pages.preview":
        return jsonify(message=message), code
    if code >= 500:
        _rollback()
    return rendered("error.html", code, code=code, title=ERROR_TITLES.get(code, "Error"),
                    message=message)


def _message(exc, code: int) -> str:
    if code >= 500:
        return "The page could not be shown. Try again; if it keeps failing, tell your administrator."
    description = getattr(exc, "description", "") or ""
    if description.startswith("The requested URL was not found"):
        return "There is nothing at this address. It may have been deleted or mistyped."
    return description


def _rollback() -> None:
    try:
        get_state().service().session.rollback()
    except Exception:  # the page must render even when the database is what failed
        pass
