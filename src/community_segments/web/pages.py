"""Server-rendered admin pages, thin over the service.

Every page works as plain forms; the JavaScript adds the filter builder's live count,
drag-and-drop and the diff, through the two small JSON endpoints ``preview`` and ``move``.
"""

from __future__ import annotations

from dataclasses import replace

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from ..errors import (
    Conflict,
    CriteriaError,
    EvaluationError,
    InUse,
    NotFound,
    QueryTimeout,
    ValidationError,
)
from ..inputs import id_list, is_number, optional_int, percent
from ..query.criteria import Criteria, parse
from ..state import get_state
from . import display, forms
from .export import csv_download

pages = Blueprint("pages", __name__)


@pages.context_processor
def _layout():
    return {"segments_layout": get_state().config.layout, "cs_url": _url}


def _url(**changes) -> str:
    """This page's URL with some query arguments changed (sorting, paging)."""
    args = {**request.args.to_dict(), **(request.view_args or {}), **changes}
    return url_for(request.endpoint or "", **args)


display.register_filters(pages)


@pages.errorhandler(QueryTimeout)
def _timeout(exc: QueryTimeout):
    message = f"The query took too long: {exc}. Narrow the filters and try again."
    if request.is_json or request.endpoint == "community_segments.pages.preview":
        return jsonify(message=message), 503
    return message, 503


def _service():
    return get_state().service()


def _actor():
    return get_state().actor()


def _criteria(text: str | None) -> Criteria:
    return forms.criteria(text, get_state().registry)


@pages.errorhandler(404)
@pages.errorhandler(405)
def _not_found(exc):
    return display.error_page(exc, _rendered)


@pages.errorhandler(500)
def _server_error(exc):
    return display.error_page(exc, _rendered)


def _segment_or_404(ident: int):
    try:
        return _service().get(ident)
    except NotFound:
        abort(404, f"There is no segment {ident}: it may have been deleted.")


def _rendered(template: str, status: int = 200, **context):
    return render_template(f"community_segments/{template}", **context), status


# -- overview and groups -------------------------------------------------------------


@pages.get("/")
def overview():
    """Titles, groups and the last known counts at once (the script then fills in the
    live ones); ``?counts=live`` waits for the live counts, the page without JavaScript."""
    live = request.args.get("counts") == "live"
    return _rendered("overview.html", **_overview_context(live=live, refresh=not live))


def _overview_context(live: bool = False, refresh: bool = False) -> dict:
    """``live``: every count evaluated now; else the counts of the last refresh, and
    ``refresh`` sends a browser without JavaScript on to the live page."""
    service = _service()
    groups = service.list_groups()
    by_group: dict[int | None, list] = {group.id: [] for group in groups}
    ungrouped: list = []
    if live:
        total, counts = service.overview()  # one shared evaluation gives the total too
    else:
        total = service.total_members()
        counts = display.last_known(service, service.list_segments(), total)
    for item in counts:
        by_group.get(item.segment.group_id, ungrouped).append(item)
    query = request.args.get("q", "").strip()
    items = [item for group in by_group.values() for item in group] + ungrouped
    return {"groups": groups, "by_group": by_group, "ungrouped": ungrouped,
            "total": total, "errors": None, "query": query, "live": live, "refresh": refresh,
            "as_of": next((item.as_of for item in counts if item.as_of), None) if live else None,
            "max_age": get_state().config.counts_max_age,
            "group_totals": display.group_totals(service, by_group) if live else {},
            "segments_count": len(items),
            "found": sum(query.lower() in item.segment.title.lower() for item in items),
            "matching": display.matching_groups(query, {**by_group, None: ungrouped})}


@pages.post("/groups")
def create_group():
    return _group_action(lambda s: s.create_group(request.form.get("name", "")),
                         "Group {name!r} created.")


@pages.post("/groups/<int:group_id>/rename")
def rename_group(group_id: int):
    return _group_action(lambda s: s.rename_group(group_id, request.form.get("name", "")),
                         "Group renamed to {name!r}.")


@pages.post("/groups/<int:group_id>/delete")
def delete_group(group_id: int):
    return _group_action(lambda s: s.delete_group(group_id),
                         "Group {name!r} deleted; its segments are now ungrouped.")


def _group_action(action, message: str):
    service = _service()
    try:
        result = action(service)
    except NotFound:
        abort(404)
    except ValidationError as exc:
        return _overview_error(exc)
    flash(message.format(name=getattr(result, "name", result)))
    return redirect(url_for(".overview"))


def _overview_error(exc: ValidationError):
    # (no refresh to the live page: it would lose the message)
    return _rendered("overview.html", 422, **{**_overview_context(), "errors": exc.errors})


@pages.post("/move")
def move():
    """Move a segment to a group and position: a form post, or JSON from drag-and-drop."""
    data = forms.json_body(request) if request.is_json else request.form
    if not hasattr(data, "get"):
        return jsonify(message="Send a JSON object."), 400
    try:
        segment, group, position = (optional_int(data.get(name), name)
                                    for name in ("segment", "group", "position"))
        if segment is None:
            raise ValidationError({"segment": ["segment is required"]})
        moved = _service().move(segment, group, position)
    except NotFound as exc:
        return _answer(404, str(exc))
    except ValidationError as exc:
        return _answer(422, str(exc), exc.errors)
    if request.is_json:
        return jsonify(segment=moved.id, group=moved.group_id, position=moved.position)
    return redirect(url_for(".overview", _anchor=f"segment-{moved.id}"))


def _answer(status: int, message: str, errors: dict | None = None):
    if request.is_json:
        return jsonify(message=message, errors=errors or {}), status
    abort(status, message)


# -- member overview and saving a segment ----------------------------------------------


@pages.get("/members")
def members():
    text = request.args.get("criteria") or forms.criteria_text(None)
    return _members_page(text)


@pages.post("/members")
def save_segment():
    form = request.form
    try:
        segment = _service().create(
            form.get("title", ""), _criteria(form.get("criteria")),
            form.get("description", ""), forms.group_choice(form), actor=_actor())
    except (CriteriaError, ValidationError) as exc:
        return _members_page(form.get("criteria", ""), errors=exc.errors, form=form)
    except NotFound as exc:  # the picked group is gone
        return _members_page(form.get("criteria", ""), errors={"group": [str(exc)]}, form=form)
    flash(f"Segment {segment.title!r} saved.")
    return redirect(url_for(".detail", segment_id=segment.id))


def _members_page(text: str, errors: dict | None = None, form=None):
    service, state = _service(), get_state()
    table, status = None, 422 if errors else 200
    try:
        criteria = _criteria(text)
        sentence = service.describe(criteria)
        table = _member_table(service, criteria)
    except (CriteriaError, ValidationError) as exc:
        errors, status, sentence = {**exc.errors, **(errors or {})}, 422, None
    return _rendered("members.html", status, criteria_text=text, sentence=sentence,
                     table=table, errors=errors, form=form or {},
                     catalog=forms.field_catalog(state.registry, service.session),
                     groups=service.list_groups(), total=service.total_members())


def _member_table(service, criteria, count: bool = True):
    """A page of members: by ``?page=`` (OFFSET, as documented), or by the ``after=`` /
    ``before=`` cursors its links carry (keyset: deep pages cost what the first does)."""
    view = get_state().view
    paging = forms.paging(request.args, view.sortable, view.name_column)
    per_page = get_state().config.rows_per_page()
    page = service.members(criteria, per_page=per_page, count=count, **paging)
    if not page.items and page.page > 1 and not (paging["after"] or paging["before"]):
        page = _last_page(service, criteria, page, paging)
    columns = [name for name in view.columns if name != "id"]
    return {"page": page, "columns": columns, "sortable": view.sortable,
            **display.column_names(get_state().registry, columns, service.session)}


def _last_page(service, criteria, page, paging):
    """Past the end (a shrunk segment, ?page=999): the last page instead."""
    total = service.count(criteria) if page.total is None else page.total
    last = max(1, -(-total // page.per_page))
    if last >= page.page:
        return page
    found = service.members(criteria, per_page=page.per_page, count=False,
                            **{**paging, "page": last})
    return replace(found, total=page.total)


@pages.post("/preview")
def preview():
    """The live count (and the difference to a saved segment) for criteria being edited."""
    data = forms.json_body(request)
    if not isinstance(data, dict):
        return jsonify(message="Send the criteria as a JSON object."), 400
    service = _service()
    try:
        criteria = parse(data.get("criteria", data), get_state().registry)
        count, total = service.count(criteria), service.total_members()
        result = {"count": count, "total": total, "sentence": service.describe(criteria),
                  "percent": percent(count, total)}
        result.update(_diff(service, request.args.get("segment"), criteria))
    except CriteriaError as exc:
        return jsonify(message=str(exc), errors=exc.errors), 422
    except NotFound as exc:
        return jsonify(message=str(exc)), 404
    return jsonify(result)


def _diff(service, segment_id: str | None, criteria: Criteria) -> dict:
    if not segment_id:
        return {}
    if not is_number(segment_id):
        raise NotFound(f"no segment with id {segment_id!r}")
    segment = service.get(int(segment_id))
    try:
        saved = service.checked(segment)
    except CriteriaError:
        return {"added": None, "removed": None}
    added, removed = service.difference(saved, criteria)
    return {"added": added, "removed": removed}


# -- segment detail ----------------------------------------------------------------------


@pages.get("/<int:segment_id>")
def detail(segment_id: int):
    segment = _segment_or_404(segment_id)
    return _detail_page(segment)


@pages.post("/<int:segment_id>")
def update(segment_id: int):
    segment = _segment_or_404(segment_id)
    form = request.form
    try:
        _service().update(
            segment_id, version=optional_int(form.get("version"), "version"),
            actor=_actor(), title=form.get("title", ""), description=form.get("description", ""),
            criteria=_criteria(form.get("criteria")), group=forms.group_choice(form))
    except Conflict as exc:  # the service rolled back: the segment reloads as saved
        return _detail_page(_service().get(segment_id), form=form, conflict=str(exc), status=409)
    except (CriteriaError, ValidationError) as exc:
        return _detail_page(_service().get(segment_id), form=form, errors=exc.errors, status=422)
    except NotFound as exc:  # the picked group is gone
        return _detail_page(_service().get(segment_id), form=form, errors={"group": [str(exc)]},
                            status=422)
    flash(f"Segment {segment.title!r} saved.")
    return redirect(url_for(".detail", segment_id=segment_id))


def _detail_page(segment, form=None, errors=None, conflict=None, status=200, refused=None):
    """The first page of members comes without the count (the slow part at scale): the
    page's script fetches it from the API; ``?count=1`` (the no-script link) counts here."""
    service, state = _service(), get_state()
    (criteria, problem), table = _stored(service, segment), None
    counted = request.args.get("count") == "1"
    if criteria is not None:
        try:
            table = _member_table(service, criteria, count=counted)
        except EvaluationError as exc:  # valid, but the database refuses its query
            criteria, problem = None, exc.errors["criteria"][0]
        except ValidationError as exc:
            errors, status = {**exc.errors, **(errors or {})}, 422
    return _rendered(
        "detail.html", status, segment=segment, problem=problem, table=table,
        sentence=None if criteria is None else service.describe(criteria),
        count=table["page"].total if table else None,
        total=service.total_members() if counted else None,
        form=form or {}, errors=errors, conflict=conflict, groups=service.list_groups(),
        usage=service.usage(segment), refused=refused,
        criteria_text=(form or {}).get("criteria") or forms.criteria_text(segment.criteria),
        catalog=forms.field_catalog(state.registry, service.session),
        compose_url=display.compose_url(segment))


def _stored(service, segment) -> tuple[Criteria | None, str | None]:
    """The saved criteria parsed once, or why they cannot be evaluated."""
    try:
        return service.checked(segment), None
    except CriteriaError as exc:
        return None, exc.one_line()


@pages.post("/<int:segment_id>/duplicate")
def duplicate(segment_id: int):
    _segment_or_404(segment_id)
    copy = _service().duplicate(segment_id, actor=_actor())
    flash(f"Duplicated as {copy.title!r}.")
    return redirect(url_for(".detail", segment_id=copy.id))


@pages.post("/<int:segment_id>/delete")
def delete(segment_id: int):
    segment = _segment_or_404(segment_id)
    title = segment.title
    try:
        _service().delete(segment_id)
    except InUse as exc:  # shown where the delete button was, with the list of uses
        return _detail_page(segment, refused=str(exc), status=409)
    flash(f"Segment {title!r} deleted.")
    return redirect(url_for(".overview"))


@pages.get("/<int:segment_id>/export.csv")
def export(segment_id: int):
    """Every member of the segment as CSV, streamed in batches: no size limit."""
    segment = _segment_or_404(segment_id)
    service = _service()
    criteria, problem = _stored(service, segment)
    if criteria is None:
        abort(422, f"This segment cannot be evaluated: {problem}")
    return csv_download(service, criteria, segment.title)


# -- overlap -----------------------------------------------------------------------------


@pages.get("/overlap")
def overlap():
    service = _service()
    try:
        ids = _overlap_ids(service)
        result = service.overlap(ids) if ids else None
    except ValidationError as exc:
        return _rendered("overlap.html", 422, result=None, errors=exc.errors,
                         **_overlap_choices(service))
    except NotFound as exc:
        return _rendered("overlap.html", 404, result=None, errors={"": [str(exc)]},
                         **_overlap_choices(service))
    return _rendered("overlap.html", result=result, errors=None, **_overlap_choices(service),
                     near=display.near_subsets(result) if result else [],
                     both_url=display.both_url)


def _overlap_ids(service) -> list[int]:
    group = request.args.get("group")
    if group:
        if not is_number(group):
            raise ValidationError({"group": [f"{group!r} is not a group id"]})
        return [segment.id for segment in service.get_group(int(group)).segments]
    ids = request.args.getlist("ids")
    return [i for text in ids for i in id_list(text)]


def _overlap_choices(service) -> dict:
    return {"groups": service.list_groups(), "segments": service.list_segments(),
            "chosen": request.args}
