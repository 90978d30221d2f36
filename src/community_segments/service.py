"""The operations on segments and groups; the web pages, the API and the CLI all call these."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from . import guarded, listing, signals, text
from .base import table_of
from .errors import Conflict, CriteriaError, InUse, MissingGroup, NotFound, ValidationError
from .evaluation import Evaluator, Page, tree_of
from .inputs import as_id, percent
from .models import Segment, SegmentGroup
from .query.criteria import Criteria, parse
from .query.references import BrokenReference, cycle_message, find_cycle, referenced_ids
from .query.sentence import describe
from .query.tree import Group
from .sharing import Answer, SharedCounts, derived
from .types import utcnow

TITLE_MAX = text.TITLE_MAX

RACE_RETRIES = 5
MARIADB_DEADLOCK = (1213, 1205)  # deadlock found, lock wait timeout


class _LostRace(Exception):
    """Another request created the same new group first (or MariaDB chose this one as a
    deadlock victim); the write is rolled back and run again, and then finds that group."""


def _retrying(write):
    @functools.wraps(write)
    def wrapper(self, *args, **kwargs):
        for _ in range(RACE_RETRIES):
            try:
                return write(self, *args, **kwargs)
            except _LostRace:
                continue
        raise Conflict("others are changing the same groups right now; retry")
    return wrapper


# What the service takes as criteria: a parsed value (the web and CLI parse at their
# boundary), or a plain dict from Python callers, parsed here once.
CriteriaInput = Criteria | Mapping[str, Any]


@dataclass(frozen=True)
class SegmentCount:
    segment: Segment | listing.Summary  # a Summary from overview(): no session behind it
    count: int | None
    percent: float | None
    error: str | None = None
    criteria: Criteria | None = None  # parsed once, for the sentence shown next to the count
    as_of: datetime | None = None  # when the count was taken (older with SEGMENTS_COUNTS_MAX_AGE)

    @property
    def broken(self) -> bool:
        return self.error is not None


@dataclass(frozen=True)
class OverviewResult:
    """The overview's numbers: the member total and every segment's count, in order."""

    total: int
    counts: tuple[SegmentCount, ...]


def _counted(segments: list, parsed: dict[int, Criteria], problems: dict[int, str],
             answer: Answer) -> OverviewResult:
    total, found, refused = answer.value
    problems = {**problems, **refused}
    return OverviewResult(total, tuple(
        SegmentCount(s, None, None, problems[n]) if n in problems
        else SegmentCount(s, found[n], percent(found[n], total), criteria=parsed[n],
                          as_of=answer.as_of)
        for n, s in enumerate(segments)))


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
    def __init__(self, session: Session, evaluator: Evaluator, pm=None, host=None,
                 shared: SharedCounts | None = None, since: float | None = None):
        self.session = session
        self.shared = shared or SharedCounts()
        self.evaluator = evaluator
        self.registry = evaluator.registry
        self.pm = pm
        self.host = host
        self._in_change = False
        self._new_group: str | None = None  # a group this write creates (see _commit)
        # When the request arrived (time.monotonic()): a shared answer in flight then is live
        self.since = since or time.monotonic()
        evaluator.resolve = self.resolve

    # -- criteria ---------------------------------------------------------------------

    def criteria(self, value: CriteriaInput, prefix: str = "") -> Criteria:
        """``value`` as parsed criteria: as is when parsed already, else validated once."""
        return value if isinstance(value, Criteria) else parse(value, self.registry, prefix)

    def parse(self, value: CriteriaInput) -> Group:
        """The tree of ``value``; raises CriteriaError."""
        return self.criteria(value).tree

    def stored(self, segment: Segment) -> Criteria:
        """A saved segment's criteria; raises CriteriaError when its fields are gone, or
        when the row holds what no version of ours writes (a hand edit)."""
        try:
            return parse(segment.criteria, self.registry)
        except CriteriaError:
            raise
        except Exception as exc:
            raise CriteriaError({"": [f"the stored criteria cannot be read "
                                      f"({type(exc).__name__})"]}) from exc

    def resolve(self, ident: int) -> Group:
        """The live criteria of segment ``ident``, for a reference to it."""
        segment = self.session.get(Segment, ident) if as_id(ident) else None
        if segment is None:
            raise BrokenReference(f"segment {ident} does not exist (deleted?)")
        try:
            return self.stored(segment).tree
        except CriteriaError as exc:
            raise BrokenReference(f"segment {ident} ({segment.title!r}) is broken: "
                                  f"{exc.one_line()}") from None

    def describe(self, criteria: CriteriaInput) -> str:
        return describe(self.criteria(criteria).tree, self.registry, self._title_of)

    def _title_of(self, ident: int) -> str:
        segment = self.session.get(Segment, ident) if as_id(ident) else None
        return segment.title if segment is not None else f"#{ident} (deleted)"

    def checked(self, segment: Segment) -> Criteria:
        """A stored segment's criteria whose references all resolve; raises CriteriaError
        for an uninstalled field or a deleted, broken or cyclic reference."""
        parsed = self.stored(segment)
        self.evaluator.condition(parsed)  # inlines every reference: raises on a broken one
        return parsed

    def problem(self, segment: Segment) -> str | None:
        """Why a stored segment cannot be evaluated (a field was uninstalled, a segment it
        refers to was deleted or is broken), or None."""
        try:
            self.checked(segment)
        except CriteriaError as exc:
            return exc.one_line()
        return None

    def count(self, criteria: CriteriaInput) -> int:
        parsed = self.criteria(criteria)
        with guarded.evaluating(self.evaluator):
            return self.evaluator.count(parsed)

    def total_members(self) -> int:
        return self.evaluator.total()

    def members(self, criteria: CriteriaInput, **paging: Any) -> Page:
        parsed = self.criteria(criteria)
        with guarded.evaluating(self.evaluator):
            return self.evaluator.members(parsed, **paging)

    def stream_members(self, criteria: CriteriaInput, **options: Any) -> Iterator[dict]:
        rows = self.evaluator.stream(self.criteria(criteria), **options)
        return guarded.stream(self.evaluator, rows)

    def difference(self, old: CriteriaInput, new: CriteriaInput) -> tuple[int, int]:
        """(members in new and not old, members in old and not new), counted in SQL.

        Both are differences of plain counts, so neither needs a negated condition (a NULL-
        yielding rule would make ``NOT old`` drop members).
        """
        old_tree, new_tree = self.parse(old), self.parse(new)
        with guarded.evaluating(self.evaluator):
            # One scan counts old AND new, new and old (the overlap of the two).
            (old_count, both), (_, new_count) = self.evaluator.overlap([old_tree, new_tree])
            return new_count - both, old_count - both

    def counts(self, segments: Iterable[Segment] | None = None) -> list[SegmentCount]:
        """Member count and share of every segment; a broken one carries its reason:
        criteria that do not validate, or a query the database refuses."""
        return self.overview(segments)[1]

    def overview(self, segments: Iterable[Segment] | None = None) -> tuple[int, list[SegmentCount]]:
        """The member total and :meth:`counts`, taken in the same (shared) evaluation."""
        result = self.overview_result(segments)
        return result.total, list(result.counts)

    def overview_result(self, segments: Iterable[Segment] | None = None) -> OverviewResult:
        """:meth:`overview` as one object, the same for every request that reads the same
        segment table and shares one answer (so callers may keep what they derive from it)."""
        if segments is None:  # the whole table is the key: references point inside it
            listed = listing.listing(self.session, self.shared.prepared, id(self.registry),
                                     self._listed)
            summaries, parsed, problems, trees = listed
            answer = self._shared_counts(parsed, trees)
            return derived(self.shared.results, (listed, answer),
                           lambda: _counted(summaries, parsed, problems, answer))
        segments = list(segments)
        parsed, problems, trees = self._prepared(segments)
        return _counted(segments, parsed, problems, self._shared_counts(parsed, trees))

    def _listed(self) -> tuple[list[listing.Summary], dict[int, Criteria], dict[int, str], str]:
        """Every segment as the overview shows it, and :meth:`_prepared` of them."""
        segments = self.list_segments()
        return [listing.summary(s) for s in segments], *self._prepared(segments)

    def _prepared(self, segments: list[Segment]) -> tuple[dict[int, Criteria], dict[int, str], str]:
        """Each segment's checked criteria (or why it is broken), and their trees as text."""
        parsed, problems = {}, {}
        for number, segment in enumerate(segments):
            try:
                parsed[number] = self.checked(segment)
            except CriteriaError as exc:
                problems[number] = exc.one_line()
        return parsed, problems, repr([(n, tree_of(t)) for n, t in parsed.items()])

    def _shared_counts(self, parsed: dict[int, Criteria], trees: str) -> Answer:
        """(total, counts, problems) of ``parsed``, asked once however many requests ask
        at once (and kept SEGMENTS_COUNTS_MAX_AGE seconds in the host's cache)."""
        evaluator = self.evaluator
        question = repr((str(evaluator.session.get_bind().engine.url), evaluator.now, trees))
        timeout = evaluator.timeout_ms / 1000 if evaluator.timeout_ms else None

        def ask():
            return guarded.census(evaluator, parsed)
        return self.shared.answer(question, ask, wait=timeout, since=self.since)

    def overlap(self, idents: Iterable[int | str]) -> Overlap:
        """Pairwise overlaps of segments, with the subsets and duplicates they reveal."""
        segments, trees, broken = [], [], {}
        for ident in dict.fromkeys(idents):
            segment = self.get(ident)
            try:
                trees.append(self.checked(segment))
                segments.append(segment)
            except CriteriaError as exc:
                broken[segment.id] = exc.one_line()
        try:
            with guarded.evaluating(self.evaluator, "an overlap"):
                return Overlap(segments, self.evaluator.overlap(trees), broken)
        except CriteriaError:  # one of them fails in the database: find it, leave it out
            pass
        _, _, refused = guarded.census(self.evaluator, dict(enumerate(trees)))
        broken.update({segments[n].id: problem for n, problem in refused.items()})
        kept = [n for n in range(len(segments)) if n not in refused]
        with guarded.evaluating(self.evaluator, "an overlap"):
            matrix = self.evaluator.overlap([trees[n] for n in kept])
        return Overlap([segments[n] for n in kept], matrix, broken)

    # -- segments ---------------------------------------------------------------------

    def list_segments(self) -> list[Segment]:
        query = listing.ordered(sa.select(Segment)).options(contains_eager(Segment.group))
        return list(self.session.scalars(query))

    def get(self, ident: int | str) -> Segment:
        """A segment by id or by exact title."""
        return self._find(Segment, Segment.title, ident, "segment with id or title")

    @_retrying
    def create(self, title: str, criteria: CriteriaInput, description: str = "",
               group: int | str | None = None, actor: str | None = None) -> Segment:
        """A new segment, last in ``group`` (an id, or a name created when missing)."""
        with self._writing():
            parsed = self.criteria(criteria)
            self._check_references(parsed.to_dict(), None)
            title = self._title(title)
            description = text.description(description)
            target = self._group_or_none(group, create=True)
            segment = Segment(title=title, description=description,
                              criteria=parsed.to_dict(), group_id=target.id if target else None,
                              position=self._next_position(target), created_by=actor,
                              updated_by=actor)
            self.session.add(segment)
            self._commit(title)
        signals.segment_created.send(_snapshot(segment), segment_id=segment.id,
                                     title=segment.title, version=segment.version)
        return segment

    @_retrying
    def update(self, ident: int | str, version: int | None = None, actor: str | None = None,
               **changes: Any) -> Segment:
        """Change title, description, criteria or group; ``version`` guards against lost updates.

        Checked in this order: the segment exists (NotFound), the version (Conflict), then
        the changes (CriteriaError keyed ``criteria...``, ValidationError, MissingGroup).
        """
        with self._writing():
            segment = self.get(ident)
            if version is not None and version != segment.version:
                raise Conflict(f"segment {segment.title!r} was changed by someone else "
                               f"(version {segment.version}, yours {version}); reload and retry",
                               current_version=segment.version)
            with self.session.no_autoflush:  # one UPDATE, so one version step, per save
                self._apply(segment, changes)
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
            criteria = self.criteria(changes["criteria"], "criteria").to_dict()
            self._check_references(criteria, segment.id)
            segment.criteria = criteria
        if "title" in changes:
            segment.title = self._title(changes["title"], exclude=segment.id)
        if "description" in changes:
            segment.description = text.description(changes["description"])

    def delete(self, ident: int | str) -> None:
        """Delete a segment nothing uses; one in use is refused (InUse names the uses)."""
        with self._writing():
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
        answers = signals.audience_usage.send(_snapshot(segment),
                                              audience_id=f"segment:{segment.id}")
        campaigns = [str(use) for _receiver, found in answers for use in found or ()]
        return Usage(self.referrers(segment.id), campaigns)

    def referrers(self, segment_id: int) -> list[Segment]:
        """The segments whose criteria refer to ``segment_id`` directly."""
        return [s for s in self.list_segments()
                if any(ident == segment_id for _path, ident in referenced_ids(s.criteria))]

    def _check_references(self, criteria: dict, own_id: int | None) -> None:
        """Every referenced segment exists, and saving closes no cycle (CriteriaError keyed
        ``rules[0].value``, naming the cycle; the API prefixes ``criteria.``)."""
        # not dict(result): a Result has .keys(), so dict() would read it as a mapping
        stored: dict[int, Any] = {ident: data for ident, data in self.session.execute(  # noqa: C416
            sa.select(Segment.id, Segment.criteria))}
        for path, ident in referenced_ids(criteria):
            if ident not in stored and ident != own_id:
                raise CriteriaError({f"{path}.value": [f"segment {ident} does not exist (deleted?)"]})
        if own_id is None:
            return  # a new segment: nothing refers to it yet
        stored.pop(own_id, None)
        cycle = find_cycle(own_id, criteria, stored)
        if cycle is not None:
            path, ids = cycle
            raise CriteriaError({f"{path}.value": [cycle_message(ids[0], ids[1:])]})

    def duplicate(self, ident: int | str, actor: str | None = None) -> Segment:
        original = self.get(ident)
        criteria = self.criteria(original.criteria, "criteria")  # a broken one cannot be copied
        description = f"Copy of {original.title}" + (
            f": {original.description}" if original.description else "")
        return self.create(self._copy_title(original.title), criteria,
                           description, original.group_id, actor)

    def move(self, ident: int | str, group: int | str | None, position: int | None = None,
             commit: bool = True, create_group: bool = False) -> Segment:
        """Put a segment in ``group`` (None: ungrouped) at ``position`` (None: last);
        with ``create_group`` a group name that does not exist yet is created.
        An unknown segment is NotFound; an unknown group MissingGroup."""
        with self._writing():
            segment = self.get(ident)
            target = self._group_or_none(group, create=create_group)
            siblings = [s for s in self._members_of(target) if s.id != segment.id]
            index = len(siblings) if position is None else max(0, min(position, len(siblings)))
            siblings.insert(index, segment)
            segment.group = target
            segment.position = index
            self._renumber(siblings, segment)
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
        with self._writing():
            name = _name(name, "name")
            if self.session.scalars(sa.select(SegmentGroup).where(SegmentGroup.name == name)).first():
                raise ValidationError({"name": [f"a group named {name!r} exists already"]})
            position = self.session.scalar(
                sa.select(sa.func.coalesce(sa.func.max(SegmentGroup.position), -1)))
            group = SegmentGroup(name=name, position=(position or 0) + 1)
            self.session.add(group)
            if commit:
                self._commit(name, what="group name")
            else:
                self._flush_new_group()
        return group

    def rename_group(self, ident: int | str, name: Any) -> SegmentGroup:
        """Rename a group: an unknown group is NotFound before a bad name is refused."""
        with self._writing():
            group = self.get_group(ident)
            name = _name(name, "name")
            clash = self.session.scalars(sa.select(SegmentGroup).where(
                SegmentGroup.name == name, SegmentGroup.id != group.id)).first()
            if clash:
                raise ValidationError({"name": [f"a group named {name!r} exists already"]})
            group.name = name
            self._commit(name, what="group name")
        return group

    def delete_group(self, ident: int | str) -> str:
        """Delete a group; its segments move to the end of "Ungrouped", never deleted.
        Returns the group's name."""
        with self._writing():
            group = self.get_group(ident)
            name = group.name
            ungrouped = self._members_of(None)
            for offset, segment in enumerate(self._members_of(group)):
                segment.group = None
                segment.position = len(ungrouped) + offset
            self.session.delete(group)
            self.session.commit()
        return name

    def reorder_groups(self, ids: list[int]) -> list[SegmentGroup]:
        with self._writing():
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

        created: list[Segment] = []
        skipped: list[str] = []
        failures: dict[str, str] = {}
        existing = set(self.session.scalars(sa.select(Segment.title)))
        for provider, definitions in provider_results(self.pm, "segments_default_segments",
                                                      failures, host=self.host):
            for definition in definitions:
                title = definition["title"]
                if title in existing:
                    continue
                try:
                    created.append(self.create(title, definition["criteria"],
                                               definition.get("description", ""),
                                               definition.get("group"), actor=provider))
                    existing.add(title)
                except (CriteriaError, ValidationError) as exc:  # rolled back by create
                    skipped.append(f"{title!r} from {provider}: {exc}")
        skipped += [f"the defaults of {name}: {why}" for name, why in failures.items()]
        return created, skipped

    # -- helpers ---------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """A change that fails leaves nothing behind: the session is rolled back here, so
        callers (pages, API, CLI) never touch it. Nested changes roll back once, outermost."""
        if self._in_change:
            yield
            return
        self._in_change = True
        try:
            yield
        except Exception:
            self.session.rollback()
            raise
        finally:
            self._in_change = False
            self._new_group = None

    def _find(self, model, name_column, ident: int | str, what: str):
        """A row by id (an int or a string of digits), else by exact name."""
        if isinstance(ident, str) and text.problem(ident):  # no row has such a name
            raise NotFound(f"no {what} {ident!r}")
        found = None
        if (row_id := as_id(ident)) is not None:
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
        except NotFound as exc:
            if create and isinstance(group, str) and not group.isdigit():
                self._new_group = group.strip()
                try:
                    return self.create_group(group, commit=False)
                except ValidationError as refused:
                    if "exists already" in str(refused) and self._group_named(group.strip()):
                        # committed by another request since our look-up: run again, find it
                        raise _LostRace from None
                    raise
            raise MissingGroup(str(exc)) from None

    def _renumber(self, siblings: list[Segment], moved: Segment) -> None:
        """Positions of the other segments written straight to the table: where a segment
        sits is not its content, so a neighbour's move never bumps its version (and never
        makes an edit of it, begun before the move, a 409)."""
        table = table_of(Segment)
        for position, sibling in enumerate(siblings):
            if sibling is moved or sibling.position == position:
                continue
            self.session.execute(sa.update(table).where(table.c.id == sibling.id)
                                 .values(position=position))
            set_committed_value(sibling, "position", position)

    def _members_of(self, group: SegmentGroup | None) -> list[Segment]:
        where = Segment.group_id.is_(None) if group is None else Segment.group_id == group.id
        return list(self.session.scalars(
            sa.select(Segment).where(where).order_by(Segment.position, Segment.id)))

    def _next_position(self, group: SegmentGroup | None) -> int:
        return len(self._members_of(group))

    def _flush_new_group(self) -> None:
        try:
            self.session.flush()
        except (IntegrityError, sa.exc.OperationalError) as exc:
            if isinstance(exc, IntegrityError) or _deadlock(exc):
                raise _LostRace from None  # the other request's group is committed now
            raise

    def _group_named(self, name: str) -> bool:
        query = sa.select(SegmentGroup.id).where(SegmentGroup.name == name)
        return self.session.scalars(query).first() is not None

    def _commit(self, name: str, what: str = "title") -> None:
        new_group, self._new_group = self._new_group, None
        try:
            self.session.commit()
        except sa.exc.OperationalError as exc:
            if _deadlock(exc):
                raise _LostRace from None
            raise
        except IntegrityError:
            self.session.rollback()
            if new_group is not None and self._group_named(new_group):
                raise _LostRace from None
            raise ValidationError({what: [f"{name!r} is already used"]}) from None
        except StaleDataError:
            self.session.rollback()
            raise Conflict(f"{name!r} was changed by someone else; reload and retry") from None


def _name(value: Any, key: str) -> str:
    return text.line(value, key, TITLE_MAX)


def _deadlock(exc: sa.exc.OperationalError) -> bool:
    args: tuple = getattr(exc.orig, "args", ())
    return bool(args) and args[0] in MARIADB_DEADLOCK


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
