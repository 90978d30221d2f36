"""The operations on segments and groups; the web pages, the API and the CLI all call these."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from . import signals
from .errors import Conflict, CriteriaError, InUse, NotFound, ValidationError
from .evaluation import Evaluator, Page
from .models import Segment, SegmentGroup
from .query.parse import parse_criteria
from .query.references import BrokenReference, cycle_message, find_cycle, referenced_ids
from .query.sentence import describe
from .query.tree import Group
from .types import utcnow

TITLE_MAX = 200


@dataclass(frozen=True)
class SegmentCount:
    segment: Segment
    count: int | None
    percent: float | None
    error: str | None = None

    @property
    def broken(self) -> bool:
        return self.error is not None


@dataclass(frozen=True)
class Usage:
    """What uses a segment: segments that refer to it, and campaigns (their descriptions)."""

    segments: list[Segment]
    campaigns: list[str]

    def __bool__(self) -> bool:
        return bool(self.segments or self.campaigns)

    def lines(self) -> list[str]:
        return [f"segment {s.title!r} ({s.id})" for s in self.segments] + self.campaigns


@dataclass(frozen=True)
class Overlap:
    segments: list[Segment]
    matrix: list[list[int]]
    broken: dict[int, str]

    def share(self, i: int, j: int) -> float:
        """The part of segment i that is also in segment j, in percent."""
        size = self.matrix[i][i]
        return round(100.0 * self.matrix[i][j] / size, 1) if size else 0.0

    def relations(self) -> list[tuple[str, Segment, Segment]]:
        """("duplicate", a, b): same members; ("subset", a, b): every member of a is in b."""
        found = []
        for i, a in enumerate(self.segments):
            for j, b in enumerate(self.segments):
                both, size_a, size_b = self.matrix[i][j], self.matrix[i][i], self.matrix[j][j]
                if i < j and size_a == size_b == both:
                    found.append(("duplicate", a, b))
                elif i != j and 0 < size_a == both < size_b:
                    found.append(("subset", a, b))
        return found


class SegmentService:
    def __init__(self, session: Session, evaluator: Evaluator, pm=None, host=None):
        self.session = session
        self.evaluator = evaluator
        self.registry = evaluator.registry
        self.pm = pm
        self.host = host
        evaluator.resolve = self.resolve

    # -- criteria ---------------------------------------------------------------------

    def parse(self, criteria: Any) -> Group:
        return parse_criteria(criteria, self.registry)

    def resolve(self, ident: int) -> Group:
        """The live criteria of segment ``ident``, for a reference to it."""
        segment = self.session.get(Segment, ident) if _as_id(ident) else None
        if segment is None:
            raise BrokenReference(f"segment {ident} does not exist (deleted?)")
        try:
            return self.parse(segment.criteria)
        except CriteriaError as exc:
            raise BrokenReference(f"segment {ident} ({segment.title!r}) is broken: "
                                  f"{exc.one_line()}") from None

    def describe(self, criteria: Any) -> str:
        return describe(self.parse(criteria), self.registry, self._title_of)

    def _title_of(self, ident: int) -> str:
        segment = self.session.get(Segment, ident) if _as_id(ident) else None
        return segment.title if segment is not None else f"#{ident} (deleted)"

    def check(self, criteria: Any) -> Group:
        """Parsed criteria whose references all resolve (no deleted, broken or cyclic one)."""
        tree = self.parse(criteria)
        self.evaluator.condition(tree)  # inlines every reference: raises on a broken one
        return tree

    def problem(self, segment: Segment) -> str | None:
        """Why a stored segment cannot be evaluated (a field was uninstalled, a segment it
        refers to was deleted or is broken), or None."""
        try:
            self.check(segment.criteria)
        except CriteriaError as exc:
            return exc.one_line()
        return None

    def count(self, criteria: Any) -> int:
        return self.evaluator.count(self.parse(criteria))

    def total_members(self) -> int:
        return self.evaluator.total()

    def members(self, criteria: Any, **paging) -> Page:
        return self.evaluator.members(self.parse(criteria), **paging)

    def stream_members(self, criteria: Any, **options):
        return self.evaluator.stream(self.parse(criteria), **options)

    def counts(self, segments: Iterable[Segment] | None = None) -> list[SegmentCount]:
        """Member count and share of every segment; a broken one carries its reason."""
        segments = self.list_segments() if segments is None else list(segments)
        total = self.total_members()
        trees, problems = {}, {}
        for number, segment in enumerate(segments):
            try:
                trees[number] = self.check(segment.criteria)
            except CriteriaError as exc:
                problems[number] = exc.one_line()
        found = dict(zip(trees, self.evaluator.counts(list(trees.values())), strict=True))
        return [SegmentCount(s, None, None, problems[n]) if n in problems
                else SegmentCount(s, found[n], _percent(found[n], total))
                for n, s in enumerate(segments)]

    def overlap(self, idents: Iterable[int | str]) -> Overlap:
        """Pairwise overlaps of segments, with the subsets and duplicates they reveal."""
        segments, trees, broken = [], [], {}
        for ident in dict.fromkeys(idents):
            segment = self.get(ident)
            try:
                trees.append(self.check(segment.criteria))
                segments.append(segment)
            except CriteriaError as exc:
                broken[segment.id] = exc.one_line()
        return Overlap(segments, self.evaluator.overlap(trees), broken)

    # -- segments ---------------------------------------------------------------------

    def list_segments(self) -> list[Segment]:
        query = (sa.select(Segment).outerjoin(Segment.group)
                 .order_by(SegmentGroup.position.is_(None), SegmentGroup.position,
                           SegmentGroup.id, Segment.position, Segment.id))
        return list(self.session.scalars(query))

    def get(self, ident: int | str) -> Segment:
        """A segment by id or by exact title."""
        return self._find(Segment, Segment.title, ident, "segment with id or title")

    def create(self, title: str, criteria: Any, description: str = "",
               group: int | str | None = None, actor: str | None = None) -> Segment:
        tree = self.parse(criteria)
        self._check_references(tree.to_dict(), None)
        title = self._title(title)
        target = self._group_or_none(group, create=True)
        segment = Segment(title=title, description=description or "", criteria=tree.to_dict(),
                          group_id=target.id if target else None,
                          position=self._next_position(target), created_by=actor, updated_by=actor)
        self.session.add(segment)
        self._commit(title)
        signals.segment_created.send(_snapshot(segment), segment_id=segment.id,
                                     title=segment.title, version=segment.version)
        return segment

    def update(self, ident: int | str, version: int | None = None, actor: str | None = None,
               **changes: Any) -> Segment:
        """Change title, description, criteria or group; ``version`` guards against lost updates."""
        segment = self.get(ident)
        if version is not None and version != segment.version:
            raise Conflict(f"segment {segment.title!r} was changed by someone else "
                           f"(version {segment.version}, yours {version}); reload and retry",
                           current_version=segment.version)
        try:
            with self.session.no_autoflush:  # one UPDATE, so one version step, per save
                self._apply(segment, changes)
        except Exception:
            self.session.rollback()  # nothing half-applied survives a refused change
            raise
        segment.updated_by = actor
        segment.updated_at = utcnow()
        self._commit(segment.title)
        signals.segment_updated.send(_snapshot(segment), segment_id=segment.id,
                                     title=segment.title, version=segment.version)
        return segment

    def _apply(self, segment: Segment, changes: dict[str, Any]) -> None:
        unknown = set(changes) - {"criteria", "title", "description", "group"}
        if unknown:
            raise ValidationError({key: ["unknown attribute"] for key in sorted(unknown)})
        if "group" in changes:  # first: making a new group flushes, before the segment changes
            self.move(segment.id, changes["group"], commit=False, create_group=True)
        if "criteria" in changes:
            criteria = self.parse(changes["criteria"]).to_dict()
            self._check_references(criteria, segment.id)
            segment.criteria = criteria
        if "title" in changes:
            segment.title = self._title(changes["title"], exclude=segment.id)
        if "description" in changes:
            segment.description = changes["description"] or ""

    def delete(self, ident: int | str) -> None:
        """Delete a segment nothing uses; one in use is refused (InUse names the uses)."""
        segment = self.get(ident)
        uses = self.usage(segment)
        if uses:
            raise InUse(f"segment {segment.title!r} is in use and cannot be deleted; "
                        f"used by: {', '.join(uses.lines())}", uses.lines())
        snapshot, segment_id, title = _snapshot(segment), segment.id, segment.title
        self.session.delete(segment)
        self.session.commit()
        signals.segment_deleted.send(snapshot, segment_id=segment_id, title=title)

    def usage(self, segment: Segment) -> Usage:
        """Segments referring to ``segment`` and campaigns using it as their audience."""
        answers = signals.audience_usage.send(_snapshot(segment), audience_id=f"segment:{segment.id}")
        campaigns = [str(use) for _receiver, found in answers for use in found or ()]
        return Usage(self.referrers(segment.id), campaigns)

    def referrers(self, segment_id: int) -> list[Segment]:
        """The segments whose criteria refer to ``segment_id`` directly."""
        return [s for s in self.list_segments()
                if any(ident == segment_id for _path, ident in referenced_ids(s.criteria))]

    def _check_references(self, criteria: dict, own_id: int | None) -> None:
        """Every referenced segment exists, and saving closes no cycle (422 naming it)."""
        stored = {ident: criteria for ident, criteria in self.session.execute(
            sa.select(Segment.id, Segment.criteria))}
        for path, ident in referenced_ids(criteria):
            if ident not in stored and ident != own_id:
                raise CriteriaError({f"{path}.value": [f"no segment with id {ident}"]})
        if own_id is None:
            return  # a new segment: nothing refers to it yet
        stored.pop(own_id, None)
        cycle = find_cycle(own_id, criteria, stored)
        if cycle is not None:
            path, ids = cycle
            raise CriteriaError({f"{path}.value": [cycle_message(ids[0], ids[1:])]})

    def duplicate(self, ident: int | str, actor: str | None = None) -> Segment:
        original = self.get(ident)
        return self.create(self._copy_title(original.title), original.criteria,
                           original.description, original.group_id, actor)

    def move(self, ident: int | str, group: int | str | None, position: int | None = None,
             commit: bool = True, create_group: bool = False) -> Segment:
        """Put a segment in ``group`` (None: ungrouped) at ``position`` (None: last);
        with ``create_group`` a group name that does not exist yet is created."""
        segment = self.get(ident)
        target = self._group_or_none(group, create=create_group)
        siblings = [s for s in self._members_of(target) if s.id != segment.id]
        index = len(siblings) if position is None else max(0, min(position, len(siblings)))
        siblings.insert(index, segment)
        segment.group = target
        for pos, sibling in enumerate(siblings):
            sibling.position = pos
        if commit:
            self._commit(segment.title)
        return segment

    # -- groups -----------------------------------------------------------------------

    def list_groups(self) -> list[SegmentGroup]:
        return list(self.session.scalars(
            sa.select(SegmentGroup).order_by(SegmentGroup.position, SegmentGroup.id)))

    def get_group(self, ident: int | str) -> SegmentGroup:
        """A segment group by id or by exact name."""
        return self._find(SegmentGroup, SegmentGroup.name, ident, "segment group with id or name")

    def create_group(self, name: str, commit: bool = True) -> SegmentGroup:
        name = _name(name, "name")
        if self.session.scalars(sa.select(SegmentGroup).where(SegmentGroup.name == name)).first():
            raise ValidationError({"name": [f"a group named {name!r} exists already"]})
        position = self.session.scalar(sa.select(sa.func.coalesce(sa.func.max(SegmentGroup.position), -1)))
        group = SegmentGroup(name=name, position=position + 1)
        self.session.add(group)
        if commit:
            self._commit(name, what="group name")
        else:
            self.session.flush()
        return group

    def rename_group(self, ident: int | str, name: str) -> SegmentGroup:
        group = self.get_group(ident)
        name = _name(name, "name")
        clash = self.session.scalars(sa.select(SegmentGroup).where(
            SegmentGroup.name == name, SegmentGroup.id != group.id)).first()
        if clash:
            raise ValidationError({"name": [f"a group named {name!r} exists already"]})
        group.name = name
        self._commit(name, what="group name")
        return group

    def delete_group(self, ident: int | str) -> None:
        """Delete a group; its segments move to the end of "Ungrouped", never deleted."""
        group = self.get_group(ident)
        ungrouped = self._members_of(None)
        for offset, segment in enumerate(self._members_of(group)):
            segment.group = None
            segment.position = len(ungrouped) + offset
        self.session.delete(group)
        self.session.commit()

    def reorder_groups(self, ids: list[int]) -> list[SegmentGroup]:
        groups = {g.id: g for g in self.list_groups()}
        if sorted(ids) != sorted(groups):
            raise ValidationError({"ids": ["give every group id exactly once"]})
        for position, gid in enumerate(ids):
            groups[gid].position = position
        self.session.commit()
        return self.list_groups()

    # -- defaults ---------------------------------------------------------------------

    def seed_defaults(self) -> tuple[list[Segment], list[str]]:
        """Create the default segments that are missing; returns (created, skipped reasons)."""
        from .hooks import provider_results

        created, skipped = [], []
        existing = set(self.session.scalars(sa.select(Segment.title)))
        for provider, definitions in provider_results(self.pm, "segments_default_segments",
                                                      host=self.host):
            for definition in definitions:
                title = definition["title"]
                if title in existing:
                    continue
                try:
                    created.append(self.create(title, definition["criteria"],
                                               definition.get("description", ""),
                                               definition.get("group"), actor=provider))
                    existing.add(title)
                except (CriteriaError, ValidationError) as exc:
                    self.session.rollback()
                    skipped.append(f"{title!r} from {provider}: {exc}")
        return created, skipped

    # -- helpers ---------------------------------------------------------------------

    def _find(self, model, name_column, ident: int | str, what: str):
        """A row by id (an int or a string of digits), else by exact name."""
        found = None
        if (row_id := _as_id(ident)) is not None:
            found = self.session.get(model, row_id)
        if found is None and isinstance(ident, str):
            found = self.session.scalars(sa.select(model).where(name_column == ident)).first()
        if found is None:
            raise NotFound(f"no {what} {ident!r}")
        return found

    def _title(self, title: str, exclude: int | None = None) -> str:
        title = _name(title, "title")
        query = sa.select(Segment.id).where(Segment.title == title)
        if exclude is not None:
            query = query.where(Segment.id != exclude)
        if self.session.scalars(query).first() is not None:
            raise ValidationError({"title": [f"a segment titled {title!r} exists already"]})
        return title

    def _copy_title(self, title: str) -> str:
        titles = set(self.session.scalars(sa.select(Segment.title)))
        candidate, n = f"{title} (copy)", 2
        while candidate in titles:
            candidate, n = f"{title} (copy {n})", n + 1
        return candidate[:TITLE_MAX]

    def _group_or_none(self, group, create: bool = False) -> SegmentGroup | None:
        if group is None or group == "":
            return None
        if isinstance(group, SegmentGroup):
            return group
        try:
            return self.get_group(group)
        except NotFound:
            if create and isinstance(group, str) and not group.isdigit():
                return self.create_group(group, commit=False)
            raise

    def _members_of(self, group: SegmentGroup | None) -> list[Segment]:
        where = Segment.group_id.is_(None) if group is None else Segment.group_id == group.id
        return list(self.session.scalars(
            sa.select(Segment).where(where).order_by(Segment.position, Segment.id)))

    def _next_position(self, group: SegmentGroup | None) -> int:
        return len(self._members_of(group))

    def _commit(self, name: str, what: str = "title") -> None:
        try:
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            raise ValidationError({what: [f"{name!r} is already used"]}) from None
        except StaleDataError:
            self.session.rollback()
            raise Conflict(f"{name!r} was changed by someone else; reload and retry") from None


def _name(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError({key: [f"{key} is required"]})
    value = value.strip()
    if len(value) > TITLE_MAX:
        raise ValidationError({key: [f"{key} is longer than {TITLE_MAX} characters"]})
    return value


def _percent(count: int, total: int) -> float:
    return round(100.0 * count / total, 1) if total else 0.0


@dataclass(frozen=True)
class SegmentSnapshot:
    """What lifecycle signals carry as sender: plain values, not a live ORM object."""

    id: int
    title: str
    description: str
    criteria: dict
    group_id: int | None
    version: int


def _snapshot(segment: Segment) -> SegmentSnapshot:
    return SegmentSnapshot(segment.id, segment.title, segment.description,
                           segment.criteria, segment.group_id, segment.version)


MAX_ID = 2**31 - 1  # ids are INTEGER columns; larger numbers cannot be bound everywhere


def _as_id(ident: int | str) -> int | None:
    """``ident`` as a row id, or None when it cannot be one (a title, or out of range)."""
    if isinstance(ident, str) and ident.isascii() and ident.isdigit():
        ident = int(ident)
    return ident if isinstance(ident, int) and 0 < ident <= MAX_ID else None
