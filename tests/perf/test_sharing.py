"""Identical overview evaluations in flight share one query; the optional cache (issue 15)."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from community_segments.config import SegmentsConfig
from community_segments.errors import QueryTimeout
from community_segments.extension import get_state
from community_segments.sharing import SharedCounts, SingleFlight


def test_concurrent_callers_share_one_call():
    flight, calls, gate = SingleFlight(), [], threading.Event()

    def slow():
        calls.append(1)
        gate.wait(5)
        return 42
    results = []
    threads = [threading.Thread(target=lambda: results.append(flight.run("k", slow)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    while len(flight) == 0:
        time.sleep(0.01)
    time.sleep(0.2)  # let the followers reach their wait
    gate.set()
    for thread in threads:
        thread.join(5)
    assert results == [42] * 8 and calls == [1]
    assert len(flight) == 0  # nothing left in flight: the next call runs again
    assert flight.run("k", lambda: 7) == 7


def test_a_finished_answer_serves_only_requests_that_arrived_before_it_ended():
    """A request that arrived while a call was in flight would have joined it had it
    reached the question at once: it takes that answer even after the call ended. One
    that arrived after the end asks again, and so does a caller without ``since``."""
    flight, calls, during = SingleFlight(), [], []

    def ask():
        during.append(time.monotonic())
        calls.append(1)
        return len(calls)
    arrived = time.monotonic()
    assert flight.run("k", ask, since=arrived) == 1
    assert flight.run("k", ask, since=during[0]) == 1  # arrived while it ran
    assert flight.run("k", ask, since=arrived) == 1
    time.sleep(0.002)
    later = time.monotonic()
    assert flight.run("k", ask, since=later) == 2  # arrived after it ended
    assert flight.run("k", ask) == 3  # no since: asks
    assert flight.run("other", lambda: "x", since=arrived) == "x"  # per question
    assert calls == [1, 1, 1]


def test_a_failed_call_is_never_served_again():
    flight, arrived = SingleFlight(), time.monotonic()
    with pytest.raises(ZeroDivisionError):
        flight.run("k", lambda: 1 / 0, since=arrived)
    assert flight.run("k", lambda: "ok", since=arrived) == "ok"


def test_the_overview_parses_unchanged_segments_once(service, monkeypatch):
    """Unchanged segments are checked once per process; an edit, a new title or a new
    segment is checked again (a reference's reason names the title)."""
    a = service.create("Registered", {"match": "all", "rules": [
        {"field": "primary_role", "op": "equals", "value": "Registered user"}]})
    service.create("Built on it", {"match": "all", "rules": [
        {"field": "segment", "op": "in", "value": [a.id]}]})
    parsed, real = [], type(service).checked
    monkeypatch.setattr(type(service), "checked",
                        lambda self, segment: parsed.append(segment.id) or real(self, segment))
    first = service.overview()[1]
    assert len(parsed) == 2
    assert [c.count for c in service.overview()[1]] == [c.count for c in first]
    assert len(parsed) == 2  # nothing parsed again
    service.update(a.id, version=a.version, criteria={"match": "all", "rules": [
        {"field": "primary_role", "op": "equals", "value": "Moderator"}]})
    again = service.overview()[1]
    assert len(parsed) == 4 and again[0].count != first[0].count
    assert again[1].count == again[0].count  # the reference follows the edit


def test_followers_get_the_leaders_error_and_a_waiting_limit():
    flight, gate = SingleFlight(), threading.Event()

    def failing():
        gate.wait(5)
        raise QueryTimeout("the segment overview took longer than 1 s", seconds=1)
    errors = []

    def call(wait=None):
        try:
            flight.run("k", failing, wait)
        except QueryTimeout as exc:
            errors.append(str(exc))
    leader = threading.Thread(target=call)
    leader.start()
    while len(flight) == 0:
        time.sleep(0.01)
    with pytest.raises(QueryTimeout, match="took longer than 0.1 s"):
        flight.run("k", failing, 0.1)
    follower = threading.Thread(target=call)
    follower.start()
    time.sleep(0.1)
    gate.set()
    leader.join(5), follower.join(5)
    assert len(errors) == 2 and all("1 s" in e for e in errors)


class DictCache:
    """The Flask-Caching backend interface the sharing uses, kept in a dict."""

    def __init__(self):
        self.data, self.timeouts = {}, []

    def get(self, key):
        return self.data.get(key)

    def set(self, key, value, timeout=None):
        self.timeouts.append(timeout)
        self.data[key] = value


def test_the_cache_serves_a_counted_answer_with_its_time():
    cache = DictCache()
    shared, calls = SharedCounts(30, cache), []
    first = shared.answer("q", lambda: calls.append(1) or [1, 2])
    second = shared.answer("q", lambda: calls.append(1) or [9, 9])
    assert calls == [1] and second.value == [1, 2] and second.cached and not first.cached
    assert second.as_of == first.as_of and cache.timeouts == [30]
    live = SharedCounts(0, cache)
    assert live.answer("q", lambda: [3]).value == [3]  # max age 0: always live


def test_service_counts_are_shared_and_say_when_they_were_taken(service, monkeypatch):
    service.create("Registered", {"match": "all", "rules": [
        {"field": "primary_role", "op": "equals", "value": "Registered user"}]})
    service.shared = SharedCounts(60, DictCache())
    first = service.counts()
    calls = []
    monkeypatch.setattr(service.evaluator, "census", lambda trees: calls.append(1) or (0, [0]))
    again = service.counts()
    assert calls == [] and again[0].count == first[0].count > 0
    assert again[0].as_of == first[0].as_of is not None


@pytest.mark.parametrize("value", [-1, 1.5, "10", True])
def test_counts_max_age_must_be_whole_seconds(value):
    with pytest.raises(ValueError, match="SEGMENTS_COUNTS_MAX_AGE"):
        SegmentsConfig.load({"SEGMENTS_COUNTS_MAX_AGE": value})


def test_counts_max_age_defaults_to_live():
    assert SegmentsConfig.load({}).counts_max_age == 0
    assert SegmentsConfig.load({"SEGMENTS_COUNTS_MAX_AGE": 15}).counts_max_age == 15


def test_the_overview_says_how_fresh_cached_counts_are(app, service):
    from community_segments.extension import get_state
    service.create("Registered", {"match": "all", "rules": [
        {"field": "primary_role", "op": "equals", "value": "Registered user"}]})
    state = get_state(app)
    state.shared = SharedCounts(60, DictCache())
    state.config = SegmentsConfig.load({"SEGMENTS_COUNTS_MAX_AGE": 60})
    client = app.test_client()
    from community_segments.demo.models import db
    from community_segments.demo.seed import ensure_admin
    from tests.demo_client import log_in
    ensure_admin(db.session)
    db.session.commit()
    log_in(client, "admin", "admin")
    html = client.get(state.config.url_prefix + "/?counts=live").get_data(as_text=True)
    assert "Counts as of" in html and "kept up to 60 s" in html  # the page without script
    page = client.get(state.config.url_prefix + "/").get_data(as_text=True)
    assert 'data-max-age="60"' in page  # the script says how fresh the counts it fills in are
    body = client.get(state.config.url_prefix + "/api/overview").get_json()
    assert body["segments"][0]["as_of"]


def _admin_with_a_segment(app, service):
    """A segment "Registered" and a test client logged in as the demo admin."""
    from community_segments.demo.models import db
    from community_segments.demo.seed import ensure_admin
    from tests.demo_client import log_in
    service.create("Registered", {"match": "all", "rules": [
        {"field": "primary_role", "op": "equals", "value": "Registered user"}]})
    ensure_admin(db.session)
    db.session.commit()
    client = app.test_client()
    log_in(client, "admin", "admin")
    return client


def test_a_request_shares_the_answer_in_flight_when_it_arrived(app, service, monkeypatch):
    """The guard notes when a request arrived: one that came in while the overview was
    being counted takes that answer, even when its own work (login, the segment list)
    brings it to the question after the count ended; one that came in later counts again.
    The JSON is the same answer, serialised once."""
    from types import SimpleNamespace

    from community_segments.evaluation import Evaluator
    from community_segments.web import security
    client = _admin_with_a_segment(app, service)
    during, census = [], Evaluator.census

    def counted(self, criteria):
        during.append(time.monotonic())
        return census(self, criteria)
    monkeypatch.setattr(Evaluator, "census", counted)
    url = get_state(app).config.url_prefix + "/api/overview"
    first = client.get(url).get_json()
    assert len(during) == 1 and first["segments"][0]["count"] > 0
    with monkeypatch.context() as m:  # arrived while that count ran
        m.setattr(security, "time", SimpleNamespace(monotonic=lambda: during[0]))
        assert client.get(url).get_json() == first
    assert len(during) == 1
    client.get(url)  # arrived after it ended
    assert len(during) == 2


def test_derived_is_kept_while_its_sources_are_the_same_objects():
    from collections import OrderedDict

    from community_segments.sharing import derived
    table, built = OrderedDict(), []
    listing, answer = [1, 2], [3]

    def build():
        built.append(1)
        return object()
    first = derived(table, (listing, answer), build)
    assert derived(table, (listing, answer), build) is first and built == [1]
    assert derived(table, ([1, 2], answer), build) is not first  # equal, not the same
    assert derived(table, (listing, answer), build, extra=("groups",)) is not first
    assert built == [1, 1, 1]


def _overview_titles(service):
    service.session.rollback()  # a new request: a new transaction (MariaDB's snapshot)
    return [(c.segment.title, c.segment.group_name, c.count) for c in service.overview()[1]]


def test_the_overview_sees_every_change_to_the_segment_table_from_anywhere(
        app, service, monkeypatch):
    """Each overview reads the segment table's stamp; the segments are read whole only
    when it changed, by whichever process: an insert, a rename or criteria edited by
    hand in SQL (no version bump), a group renamed, a segment deleted and another created
    under the same id (SQLite reuses it)."""
    from community_segments.demo.models import db
    from community_segments.models import Segment, SegmentGroup
    registered = {"match": "all", "rules": [
        {"field": "primary_role", "op": "equals", "value": "Registered user"}]}
    banned = {"match": "all", "rules": [
        {"field": "primary_role", "op": "equals", "value": "Banned"}]}
    a_id = service.create("Registered", registered, group="Roles").id
    service.create("Banned", banned)
    reads, real = [], type(service).list_segments
    monkeypatch.setattr(type(service), "list_segments",
                        lambda self: reads.append(1) or real(self))
    first = _overview_titles(service)
    assert _overview_titles(service) == first and len(reads) == 1  # unchanged: not read

    def elsewhere(statement):
        with db.engine.begin() as connection:  # another connection, as another process
            connection.execute(statement)
    segments, groups = Segment.__table__, SegmentGroup.__table__
    elsewhere(sa.update(segments).where(segments.c.id == a_id).values(
        title="Members", criteria=banned))
    assert _overview_titles(service)[0] == ("Members", "Roles", first[1][2])
    elsewhere(sa.update(groups).values(name="People"))
    assert _overview_titles(service)[0][1] == "People"
    elsewhere(sa.delete(segments).where(segments.c.id == a_id))
    assert [t for t, _, _ in _overview_titles(service)] == ["Banned"]
    elsewhere(sa.insert(segments).values(id=a_id, title="Again", criteria=registered,
                                         description="", position=0, version=1))
    assert ("Again", None, first[0][2]) in _overview_titles(service)
    assert len(reads) == 5


def test_the_overview_api_serialises_a_shared_answer_once(app, service, monkeypatch):
    """Requests that share one answer share its JSON too: built once, the same bytes."""
    from types import SimpleNamespace

    from community_segments.web import security
    from community_segments.web.api import segments as segments_api
    client = _admin_with_a_segment(app, service)
    made, real = [], segments_api._overview_json
    monkeypatch.setattr(segments_api, "_overview_json",
                        lambda *args: made.append(1) or real(*args))
    url = get_state(app).config.url_prefix + "/api/overview"
    arrived = time.monotonic()
    with monkeypatch.context() as m:  # every request arrived while the first count ran
        m.setattr(security, "time", SimpleNamespace(monotonic=lambda: arrived))
        bodies = [client.get(url).get_data() for _ in range(3)]
    assert bodies[0] == bodies[1] == bodies[2] and b'"title":"Registered"' in bodies[0]
    assert made == [1]
    client.get(url)  # arrived after it: counted again, serialised again
    assert made == [1, 1]
    grouped = client.get(url + "?groups=1").get_json()
    assert "groups" in grouped and grouped["segments"][0]["title"] == "Registered"


def test_a_change_made_while_the_segments_are_read_is_never_kept_under_the_old_stamp(
        app, service, monkeypatch):
    """Renamed by hand in SQL just after a request read the stamp, then renamed back: the
    summaries read in between (the new name) must not be kept under the stamp that the
    old name has again."""
    from community_segments.demo.models import db
    from community_segments.models import Segment
    a_id = service.create("Registered", {"match": "all", "rules": [
        {"field": "primary_role", "op": "equals", "value": "Registered user"}]}).id
    segments = Segment.__table__

    def rename(title):
        with db.engine.begin() as connection:  # another connection, as another process
            connection.execute(sa.update(segments).where(segments.c.id == a_id)
                               .values(title=title))
    real = type(service)._listed

    def renamed_while_reading(self):
        rename("Members")
        return real(self)
    with monkeypatch.context() as m:
        m.setattr(type(service), "_listed", renamed_while_reading)
        snapshot = db.engine.dialect.name in ("mysql", "mariadb")  # REPEATABLE READ
        assert _overview_titles(service)[0][0] == ("Registered" if snapshot else "Members")
    rename("Registered")
    assert _overview_titles(service)[0][0] == "Registered"
