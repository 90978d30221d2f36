"""One member's view of segments: why they are (not) in one, which ones hold them, their
field values, finding them, and who a change of criteria adds or removes.

Thin over :mod:`.query.explain` and the :class:`SegmentService`; the pages, the API and
the CLI call these. Everything is read: nothing here changes a row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from . import timeouts
from .errors import CriteriaError, NotFound, ValidationError
from .evaluation import Evaluator
from .export import plain
from .inputs import MAX_ID, as_id
from .models import Segment
from .query.criteria import Criteria
from .query.explain import Explanation, Mark, MemberReader, changed
from .query.fold import fold
from .query.operators import values_of
from .query.sentence import describe
from .query.tree import Rule
from .service import CriteriaInput, SegmentService

SEARCH_LIMIT = 50
DIFF_PAGE = 50
SIDES = ("added", "removed")
SEGMENT_FIELD = "segment"  # DESIGN.md: the built-in field of segment references


@dataclass(frozen=True)
class Explained:
    """A segment explained for a member; ``error`` says why a broken segment cannot be."""

    segment: Segment
    member: dict
    explanation: Explanation | None
    error: str | None
    now: datetime

    @property
    def verdict(self) -> bool:
        return self.explanation is not None and self.explanation.verdict


@dataclass(frozen=True)
class Membership:
    segment: Segment
    member: bool
    error: str | None = None  # a broken segment: no verdict


@dataclass(frozen=True)
class ChangePage:
    """One keyset page of the members a change adds (or removes)."""

    side: str
    items: list[dict]
    next_after: int | None  # the ``after`` of the next page; None on the last one


class MemberInsight:
    def __init__(self, service: SegmentService):
        self.service = service
        self.evaluator: Evaluator = service.evaluator
        self.view = self.evaluator.view
        self.now = self.evaluator.now or datetime.now(UTC)

    def _reader(self) -> MemberReader:
        return MemberReader(self.evaluator.registry, self.evaluator._from(), self.view.id,
                            self.now, self.view.base, self.evaluator.resolve)

    def _execute(self, query):
        return timeouts.execute(self.evaluator.session, query, self.evaluator.timeout_ms,
                                "the member query")

    # -- members ------------------------------------------------------------------------

    def member(self, ident: int | str) -> dict:
        """A member row (the view's columns) by id, else by exact username; NotFound."""
        columns = self.evaluator._select()
        row = None
        if (member_id := as_id(ident)) is not None:
            row = self._execute(columns.where(self.view.id == member_id)).first()
        if row is None and isinstance(ident, str) and ident:
            name = self.view.columns[self.view.name_column]
            row = self._execute(columns.where(name == ident).order_by(self.view.id)).first()
        if row is None:
            raise NotFound(f"no member with id or username {ident!r}")
        return dict(row._mapping)

    def search(self, text: str, limit: int = 20) -> list[dict]:
        """Members whose username or email contains ``text`` (any case), by username."""
        if not isinstance(text, str) or not text.strip():
            raise ValidationError({"q": ["give part of a username or email"]})
        if not 1 <= limit <= SEARCH_LIMIT:
            raise ValidationError({"limit": [f"give a limit from 1 to {SEARCH_LIMIT}"]})
        needle = text.strip().lower()
        name, email = self.view.columns["username"], self.view.columns["email"]
        hit = sa.or_(fold(name).contains(needle, autoescape=True),
                     fold(email).contains(needle, autoescape=True))
        query = (self.evaluator._select(["id", "username", "email"])
                 .where(self.view.where_member(hit)).order_by(name, self.view.id).limit(limit))
        return [dict(row._mapping) for row in self._execute(query)]

    def profile(self, ident: int | str) -> tuple[dict, dict[str, Any]]:
        """The member row and every field's value for them."""
        member = self.member(ident)
        return member, self._reader().profile(self.evaluator.session, member["id"]) or {}

    # -- explain and memberships --------------------------------------------------------

    def explain(self, segment: int | str | Segment, member: int | str) -> Explained:
        """Why ``member`` is (not) in ``segment``: NotFound for either first, then the tree
        marked by the database; a broken segment carries its reason instead."""
        found = segment if isinstance(segment, Segment) else self.service.get(segment)
        row = self.member(member)
        try:
            tree = self.service.checked(found).tree
            explanation = self._reader().explain(self.evaluator.session, tree, row["id"])
        except CriteriaError as exc:
            return Explained(found, row, None, exc.one_line(), self.now)
        return Explained(found, row, explanation, None, self.now)

    def memberships(self, member: int | str) -> tuple[dict, list[Membership]]:
        """Every segment with whether the member is in it, in one query on their row."""
        row = self.member(member)
        segments = self.service.list_segments()
        parsed, broken, reader = {}, {}, self._reader()
        for segment in segments:
            try:
                tree = self.service.stored(segment).tree
                reader.check(tree)  # one broken segment must not hide the others
                parsed[segment.id] = tree
            except CriteriaError as exc:
                broken[segment.id] = Membership(segment, False, exc.one_line())
        found = reader.memberships(self.evaluator.session, list(parsed.values()), row["id"])
        verdicts = dict(zip(parsed, found or [False] * len(parsed), strict=True))
        return row, [broken[s.id] if s.id in broken else Membership(s, verdicts[s.id])
                     for s in segments]

    # -- who a change adds or removes ----------------------------------------------------

    def old_and_new(self, segment: int | str, new: CriteriaInput) -> tuple[Criteria, Criteria]:
        """The saved criteria and ``new``: NotFound, then a broken saved segment (422)."""
        found = self.service.get(segment)
        new_criteria = self.service.criteria(new, "criteria")
        try:
            return self.service.checked(found), new_criteria
        except CriteriaError as exc:
            raise ValidationError({"segment": [f"the saved segment is broken, so nobody can be "
                                               f"compared with it: {exc.one_line()}"]}) from None

    def changes(self, old: Criteria, new: Criteria, side: str, after: int | None = None,
                per_page: int = DIFF_PAGE) -> ChangePage:
        """Members ``new`` adds (``side="added"``: new and not old) or removes, by id,
        ``per_page`` after member id ``after`` (keyset pagination)."""
        condition = self._side(old, new, side)
        if after is not None and not 0 <= after <= MAX_ID:
            raise ValidationError({"after": [f"{after!r} is not a member id"]})
        if not 1 <= per_page <= 1000:
            raise ValidationError({"per_page": ["give a page size from 1 to 1000"]})
        query = self.evaluator._select().where(condition)
        if after is not None:
            query = query.where(self.view.id > after)
        rows = self._execute(query.order_by(self.view.id).limit(per_page + 1)).all()
        items = [dict(row._mapping) for row in rows[:per_page]]
        more = len(rows) > per_page
        return ChangePage(side, items, items[-1]["id"] if more else None)

    def stream_changes(self, old: Criteria, new: Criteria, side: str,
                       batch: int = 1000) -> Iterator[dict]:
        """Every member on ``side`` of the change, in id order, in keyset batches."""
        after = None
        while True:
            page = self.changes(old, new, side, after, batch)
            yield from page.items
            if page.next_after is None:
                return
            after = page.next_after

    def _side(self, old: Criteria, new: Criteria, side: str):
        if side not in SIDES:
            raise ValidationError({"side": [f"{side!r} is not one of {', '.join(SIDES)}"]})
        a, b = self.evaluator.condition(old), self.evaluator.condition(new)
        return changed(b, a) if side == "added" else changed(a, b)


# -- plain data for JSON and the command line --------------------------------------------

def mark_json(mark: Mark, registry) -> dict:
    """A marked node as plain data: groups with their rules, rules with labels and values."""
    if mark.is_group:
        return {"path": mark.path, "kind": "group", "match": mark.match, "matched": mark.matched,
                "rules": [mark_json(child, registry) for child in mark.children]}
    field = registry.get(mark.field)
    assert mark.field is not None and mark.op is not None, "a rule mark names its field and op"
    rule = Rule(mark.field, mark.op, mark.value)
    data = {"path": mark.path, "kind": "rule", "matched": mark.matched, "field": mark.field,
            "field_label": field.label if field else mark.field, "op": mark.op,
            "value": plain_value(rule.to_dict().get("value")),
            "sentence": describe(rule, registry), "member_value": plain_value(mark.member_value),
            "cutoff": plain_value(mark.cutoff)}
    if mark.field == SEGMENT_FIELD:  # references: each can be explained in turn
        data["references"] = list(values_of(mark.value))
    return data


def explained_json(explained: Explained, registry) -> dict:
    segment, explanation = explained.segment, explained.explanation
    return {"segment": {"id": segment.id, "title": segment.title},
            "member": {key: plain_value(explained.member.get(key))
                       for key in ("id", "username", "email")},
            "in_segment": explained.verdict, "broken": explained.error is not None,
            "error": explained.error, "now": plain_value(explained.now),
            "in_member_base": True if explanation is None else explanation.in_base,
            "tree": None if explanation is None else mark_json(explanation.tree, registry)}


def plain_value(value):
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return plain(value)
