"""Two refreshes at once, from two processes: each change is sent exactly once, none lost.
And the outbox: a sender that died after claiming is replaced once its lease expires."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from community_segments.demo.models import db
from community_segments.extension import get_state
from community_segments.history import outbox
from community_segments.history.app import options_from, refresh_app
from community_segments.history.models import OutboxEntry
from community_segments.history.outbox import DeliveryError

from .conftest import SEGMENTS, recording
from .test_refresh import change_members, snapshot

ROOT = Path(__file__).resolve().parents[2]


def run_workers(url: str, tmp_path: Path, hold: float) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    outs = [tmp_path / f"worker{n}.json" for n in range(2)]
    procs = [subprocess.Popen([sys.executable, "-m", "tests.history.worker", url, str(out),
                               str(hold)], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
             for out in outs]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    return [json.loads(out.read_text()) for out in outs]


def test_two_processes_send_each_change_exactly_once(app, db_url, tmp_path):
    svc = get_state(app).service()
    ids = {title: svc.create(title, criteria).id for title, criteria in SEGMENTS.items()}
    t0 = datetime.now(UTC)
    refresh_app(app, now=t0)
    before = snapshot(app, ids, t0)
    change_members(t0)
    after = snapshot(app, ids, datetime.now(UTC))
    db.session.remove()

    results = run_workers(db_url, tmp_path, hold=1.5)

    sent = Counter((kind, sid, member) for result in results
                   for kind, sid, members in result["sends"] for member in members)
    expected = {("entered", sid, m) for sid in ids.values() for m in after[sid] - before[sid]}
    expected |= {("left", sid, m) for sid in ids.values() for m in before[sid] - after[sid]}
    assert len(expected) > 20
    assert set(sent) == expected  # none lost
    assert max(sent.values()) == 1  # none twice
    assert sorted(r["changes"] for r in results) == [0, len(expected)]  # one did the work


def test_an_abandoned_claim_is_sent_again_after_the_lease(app, monkeypatch):
    svc = get_state(app).service()
    everyone = svc.create("Everyone", SEGMENTS["Everyone"]).id
    t0 = datetime.now(UTC)
    refresh_app(app, now=t0)
    change_members(t0)
    options = options_from(get_state(app).config)
    # A refresh that commits, claims its signals, and dies before sending them:
    with recording() as signals:
        with monkeypatch.context() as patched:
            patched.setattr(outbox, "deliver", lambda engine, opts, now: 0)
            refresh_app(app, now=t0)
        with db.engine.connect() as connection:
            claimed = outbox._claim(connection, "dead-process", t0, timedelta(minutes=10))
            connection.commit()
        assert claimed and signals.sends == []
        # within the lease, the next refresh leaves the claim alone ...
        refresh_app(app, now=t0 + timedelta(seconds=options.outbox_lease_s / 2))
        assert signals.sends == []
        # ... after it, the rows are sent, once
        refresh_app(app, now=t0 + timedelta(seconds=options.outbox_lease_s + 1))
        assert len(signals.ids("entered", everyone)) == 5
        assert len(signals.sends) == len(claimed)
        refresh_app(app, now=t0 + timedelta(seconds=options.outbox_lease_s + 2))
        assert len(signals.sends) == len(claimed)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEntry)
                             .where(OutboxEntry.sent_at.is_(None))) == 0


def test_a_failing_receiver_leaves_its_signal_for_the_next_refresh(app):
    svc = get_state(app).service()
    everyone = svc.create("Everyone", SEGMENTS["Everyone"]).id
    refresh_app(app)
    change_members(datetime.now(UTC))

    def broken(sender, **kw):
        raise RuntimeError("receiver down")

    from .conftest import ENTERED
    with ENTERED.connected_to(broken), pytest.raises(DeliveryError, match="receiver down"):
        refresh_app(app)
    with recording() as signals:
        refresh_app(app)
    assert len(signals.ids("entered", everyone)) == 5
