"""``segments refresh``: every segment's members compared with the last refresh, recorded.

All of it happens in one transaction that starts by taking the refresh lock, so a refresh
that fails half-way leaves nothing behind, and two refreshes never compare against the
same previous membership. Signals are not sent here: each change is written to the
outbox in the same transaction and delivered after the commit (see outbox.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import batched

import sqlalchemy as sa
from pyroaring import BitMap

from ..base import table_of
from ..errors import CriteriaError
from ..members import MemberView
from ..models import Segment
from ..query.compiler import Compiler
from ..query.parse import parse_criteria
from ..query.references import BrokenReference
from ..registry import FieldRegistry
from . import outbox
from .lock import locked
from .models import HistoryChange, HistoryPoint, Membership, OutboxEntry
from .scan import scan

SEGMENTS = table_of(Segment)
MEMBERSHIP = table_of(Membership)
POINT = table_of(HistoryPoint)
CHANGE = table_of(HistoryChange)
OUTBOX = table_of(OutboxEntry)
SIGNAL_BATCH = 1000  # ids per signal send (the public contract's limit)


@dataclass(frozen=True)
class Options:
    """How a refresh behaves; read from the app config by ``config.options``."""

    retention_days: int = 90
    lock_wait_s: float = 300.0
    outbox_lease_s: float = 600.0


@dataclass(frozen=True)
class SegmentResult:
    segment_id: int
    title: str
    count: int
    entered: int
    left: int
    baseline: bool
    criteria_changed: bool


@dataclass
class RefreshReport:
    at: datetime
    segments: list[SegmentResult] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # id, title, reason
    sent: int = 0


def refresh(engine: sa.Engine, registry: FieldRegistry, view: MemberView,
            options: Options = Options(), now: datetime | None = None) -> RefreshReport:
    """Refresh every segment, commit, then send the signals of what changed."""
    now = now or datetime.now(UTC)
    with locked(engine, options.lock_wait_s, now) as connection:
        report = _refresh(connection, registry, view, options, now)
    report.sent = outbox.deliver(engine, options, now)
    return report


def _refresh(connection: sa.Connection, registry: FieldRegistry, view: MemberView,
             options: Options, now: datetime) -> RefreshReport:
    report = RefreshReport(at=now)
    segments = connection.execute(sa.select(SEGMENTS.c.id, SEGMENTS.c.title, SEGMENTS.c.criteria)
                                  .order_by(SEGMENTS.c.id)).all()
    by_id = {row.id: row for row in segments}
    trees = {}
    for row in segments:
        try:
            trees[row.id] = parse_criteria(row.criteria, registry)
        except CriteriaError as exc:
            report.skipped.append((row.id, row.title, exc.one_line()))
    resolve = _resolver(trees, by_id)
    for segment_id in list(trees):  # a reference to a deleted, broken or cyclic segment
        try:
            Compiler(registry, view.id, now, resolve).compile(trees[segment_id])
        except CriteriaError as exc:
            del trees[segment_id]
            report.skipped.append((segment_id, by_id[segment_id].title, exc.one_line()))
    members = scan(connection, registry, view, trees, now, resolve=resolve)
    previous = {row.segment_id: row for row in connection.execute(sa.select(MEMBERSHIP))}
    for segment_id in trees:
        row = by_id[segment_id]
        report.segments.append(_record(connection, row, members[segment_id],
                                       previous.get(segment_id), fingerprint(row, by_id), now))
    _forget(connection, set(previous) - set(by_id))
    _purge(connection, now - timedelta(days=options.retention_days))
    return report


def _resolver(trees: dict, by_id: dict):
    """Segment id -> its parsed criteria, for the references of the others."""
    parsed = dict(trees)  # before any referrer is dropped: a good segment stays resolvable

    def resolve(ident: int):
        if ident in parsed:
            return parsed[ident]
        if ident in by_id:
            raise BrokenReference(f"segment {ident} ({by_id[ident].title!r}) is broken")
        raise BrokenReference(f"segment {ident} does not exist (deleted?)")
    return resolve


def fingerprint(row, by_id: dict) -> str:
    """A hash of the criteria, and of the criteria of the segments they refer to
    (editing a referenced segment is a criteria change of the referring one too)."""
    seen, todo, parts = set(), [row.id], []
    while todo:
        current = by_id.get(todo.pop())
        if current is None or current.id in seen:
            continue
        seen.add(current.id)
        parts.append([current.id, current.criteria])
        todo.extend(_referenced(current.criteria))
    text = json.dumps(sorted(parts, key=lambda p: p[0]), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _referenced(node) -> list[int]:
    """Segment ids a criteria tree refers to (rules on the built-in ``segment`` field)."""
    if not isinstance(node, dict):
        return []
    if node.get("field") == "segment" and isinstance(node.get("value"), list):
        return [v for v in node["value"] if isinstance(v, int)]
    return [ref for child in node.get("rules") or [] for ref in _referenced(child)]


def _record(connection, segment, members: BitMap, previous, digest: str,
            now: datetime) -> SegmentResult:
    changed = previous is not None and previous.criteria_hash != digest
    baseline = previous is None or changed
    if baseline:
        entered = left = BitMap()
    else:
        old = BitMap.deserialize(previous.members)
        entered, left = members - old, old - members
    point_id = connection.execute(sa.insert(POINT).values(
        segment_id=segment.id, at=now, count=len(members), entered=len(entered),
        left=len(left), baseline=baseline, criteria_changed=changed)).inserted_primary_key[0]
    for kind, ids in (("entered", entered), ("left", left)):
        if ids:
            _changes(connection, segment, point_id, kind, ids, now)
    _store(connection, segment.id, members, digest, now, exists=previous is not None)
    return SegmentResult(segment.id, segment.title, len(members), len(entered), len(left),
                         baseline, changed)


def _changes(connection, segment, point_id: int, kind: str, ids: BitMap, now: datetime) -> None:
    connection.execute(sa.insert(CHANGE).values(
        point_id=point_id, segment_id=segment.id, at=now, kind=kind, members=ids.serialize()))
    rows = ({"segment_id": segment.id, "title": segment.title, "kind": kind, "at": now,
             "member_ids": json.dumps(chunk)} for chunk in batched(ids, SIGNAL_BATCH))
    for some in batched(rows, 100):  # bounded memory for a change of a million members
        connection.execute(sa.insert(OUTBOX), list(some))


def _store(connection, segment_id: int, members: BitMap, digest: str, now: datetime,
           exists: bool) -> None:
    values = {"criteria_hash": digest, "members": members.serialize(), "count": len(members),
              "refreshed_at": now}
    if exists:
        connection.execute(sa.update(MEMBERSHIP).where(MEMBERSHIP.c.segment_id == segment_id)
                           .values(**values))
    else:
        connection.execute(sa.insert(MEMBERSHIP).values(segment_id=segment_id, **values))


def _forget(connection, deleted: set[int]) -> None:
    """Stored memberships of deleted segments go; their history points stay."""
    if deleted:
        connection.execute(sa.delete(MEMBERSHIP).where(MEMBERSHIP.c.segment_id.in_(deleted)))


def _purge(connection, cutoff: datetime) -> None:
    """Change details and sent signals older than the retention go; history points stay."""
    connection.execute(sa.delete(CHANGE).where(CHANGE.c.at < cutoff))
    connection.execute(sa.delete(OUTBOX).where(OUTBOX.c.sent_at < cutoff))
