"""Pages about one member: why they are (not) in a segment (with a member picker), their
page (field values, the segments they are in, each with "why"), and the lists of who
edited criteria would add or remove (keyset pages, CSV).

Routes on the ``pages`` blueprint, kept here so that :mod:`.pages` stays small.
"""

from __future__ import annotations

from flask import Response, abort, current_app, request, stream_with_context, url_for

from ..errors import CriteriaError, NotFound, ValidationError
from ..export import csv_chunks
from ..inputs import as_id
from ..insight import DIFF_PAGE, MemberInsight, explained_json
from ..state import get_state
from .pages import _criteria, _rendered, _segment_or_404, _service, pages

FLASKBB_EDIT_USER = "management.edit_user"


def _insight() -> MemberInsight:
    return MemberInsight(_service())


@pages.get("/<int:segment_id>/explain")
def explain(segment_id: int):
    """The member picker and, once a member is picked, the tree marked for them."""
    segment = _segment_or_404(segment_id)
    member = (request.args.get("member") or "").strip()
    data, error, status = None, None, 200
    if member:
        try:
            data = explained_json(_insight().explain(segment, member), get_state().registry)
        except NotFound as exc:
            error, status = str(exc), 404
    return _rendered("explain.html", status, segment=segment, member=member, data=data,
                     error=error)


@pages.get("/members/<int:member_id>")
def member(member_id: int):
    """A member's field values and the segments they are in, each with "why"."""
    tool = _insight()
    try:
        row, values = tool.profile(member_id)
        _, found = tool.memberships(member_id)
    except NotFound:
        abort(404)
    registry = get_state().registry
    rows = [(f, values.get(f.key)) for f in registry if f.key in values]
    return _rendered("member.html", member=row, fields=rows, memberships=found,
                     host_edit_url=_host_edit_url(row["id"]))


def _host_edit_url(member_id) -> str | None:
    """FlaskBB's own user edit page, when the host is FlaskBB (its endpoint exists)."""
    if FLASKBB_EDIT_USER not in current_app.view_functions:
        return None
    return url_for(FLASKBB_EDIT_USER, user_id=member_id)


@pages.get("/<int:segment_id>/diff/<any(added, removed):side>")
def changes(segment_id: int, side: str):
    """One keyset page of the members edited criteria would add (or remove)."""
    segment = _segment_or_404(segment_id)
    text = request.args.get("criteria", "")
    after = request.args.get("after") or None
    tool = _insight()
    try:
        if after is not None and as_id(after) is None:
            raise ValidationError({"after": [f"{after!r} is not a member id"]})
        old, new = tool.old_and_new(segment.id, _criteria(text))
        page = tool.changes(old, new, side, as_id(after), DIFF_PAGE)
    except (CriteriaError, ValidationError) as exc:
        return _rendered("changes.html", 422, segment=segment, side=side, page=None,
                         errors=exc.errors, criteria_text=text, sentence=None)
    return _rendered("changes.html", segment=segment, side=side, page=page, errors=None,
                     criteria_text=text, sentence=tool.service.describe(new),
                     columns=[c for c in get_state().view.columns if c != "id"])


@pages.get("/<int:segment_id>/diff/<any(added, removed):side>.csv")
def changes_csv(segment_id: int, side: str):
    segment = _segment_or_404(segment_id)
    tool = _insight()
    try:
        old, new = tool.old_and_new(segment.id, _criteria(request.args.get("criteria", "")))
    except (CriteriaError, ValidationError) as exc:
        abort(422, str(exc))
    columns = list(get_state().view.columns)
    return Response(stream_with_context(csv_chunks(tool.stream_changes(old, new, side), columns)),
                    mimetype="text/csv", headers={
                        "Content-Disposition":
                        f'attachment; filename="segment-{segment.id}-{side}.csv"'})


__all__ = ["changes", "changes_csv", "explain", "member"]
