"""The overview's and the overlap's counting in one scan, against one query per segment
or pair, and the deadline the overlap's Python step shares with the SQL (issue 15)."""

from __future__ import annotations

import time

import pytest
from bench.segments import scaled
from hypothesis import given
from hypothesis import strategies as st

from community_segments.errors import QueryTimeout
from community_segments.query import overview
from community_segments.query.tree import Group

from .test_overview import HAND_PICKED, RULES


def _trees(service, segments):
    return [service.parse(criteria) for _, criteria in segments]


def _atoms(service, trees) -> int:
    atoms = overview.Atoms(service.registry)
    for tree in trees:
        atoms.formula(tree)
    return len(atoms)


def _simple_counts(service, trees):
    return [service.evaluator.count(tree) for tree in trees]


def _simple_overlap(service, trees):
    return [[service.evaluator.count(Group("all", (a, b))) for b in trees] for a in trees]


@pytest.fixture
def no_python_fold(monkeypatch):
    """Fail if members are counted per mask of conditions (the membership refresh's
    query) instead of per segment in SQL."""
    def refused(*args, **kwargs):
        raise AssertionError("an overview or overlap grouped members by condition mask")
    monkeypatch.setattr(overview.MaskQuery, "select", refused)


def test_counts_and_overlap_never_group_by_condition_mask(service, no_python_fold):
    for size in (1, 6, 24, 96):
        trees = _trees(service, scaled(size))
        assert service.evaluator.counts(trees) == _simple_counts(service, trees)
        matrix = service.evaluator.overlap(trees)
        assert [matrix[i][i] for i in range(size)] == _simple_counts(service, trees)


def test_96_generated_segments_count_as_one_query_each(service):
    trees = _trees(service, scaled(96))
    counts = service.evaluator.counts(trees)
    assert counts == _simple_counts(service, trees)
    assert len(set(counts)) > 20  # distinct segments, not 96 copies of one count


def test_hand_picked_count_and_overlap(service):
    trees = [service.parse(c) for c in HAND_PICKED + [{"match": "all", "rules": [r]}
                                                      for r in RULES]]
    assert service.evaluator.counts(trees) == _simple_counts(service, trees)
    assert service.evaluator.overlap(trees[:10]) == _simple_overlap(service, trees[:10])


def test_overlap_of_generated_segments_per_pair(service):
    trees = _trees(service, scaled(40))[16:40]  # 24 segments: 14 benchmark, 10 generated
    assert service.evaluator.overlap(trees) == _simple_overlap(service, trees)


def test_counts_past_one_scan_take_several(service, monkeypatch):
    """More conditions or segments than one row holds: several scans, the same counts."""
    from community_segments import evaluation
    monkeypatch.setattr(evaluation, "PER_SCAN", 7)
    trees = _trees(service, scaled(24))
    assert _atoms(service, trees) > 7
    assert service.evaluator.counts(trees) == _simple_counts(service, trees)
    assert service.evaluator.census(trees) == (service.evaluator.total(),
                                               _simple_counts(service, trees))


def test_the_overview_takes_the_member_total_in_its_scan(service, monkeypatch):
    """The total is one more count in the segments' scan, not a query of its own."""
    trees = _trees(service, scaled(6))
    total = service.evaluator.total()
    assert total > 0
    monkeypatch.setattr(type(service.evaluator), "total", lambda self: pytest.fail("asked"))
    assert service.evaluator.census(trees) == (total, _simple_counts(service, trees))


def test_no_segments(service):
    assert service.evaluator.counts([]) == []
    assert service.evaluator.census([]) == (service.evaluator.total(), [])
    assert service.evaluator.overlap([]) == []


def test_the_overlaps_python_step_is_interrupted_by_the_statement_timeout(service, monkeypatch):
    """Summing pairs over the sets slower than the timeout stops at it, on every database
    (SQLite included, which has no timeout of its own for SQL)."""
    monkeypatch.setattr(overview, "CHECK_EVERY", 1)  # look at the clock at every set
    slow, real = [], overview._checked

    def slow_checked(items, check):
        for item in real(items, check):
            slow.append(1)
            time.sleep(0.05)
            yield item
    monkeypatch.setattr(overview, "_checked", slow_checked)
    trees = _trees(service, scaled(6))
    service.evaluator.timeout_ms = 800
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="took longer than 0.8 s"):
        service.evaluator.overlap(trees)
    elapsed = time.monotonic() - started
    assert slow, "the sets were never summed"
    assert elapsed < 0.8 + 0.5  # stopped at the deadline, not at the end of the sums


def test_overlap_pairs_across_two_masks_equal_one_query_each(service):
    """Past 60 segments the sets take two masks: pairs across them, one query each."""
    trees = _trees(service, scaled(96))
    matrix = service.evaluator.overlap(trees)
    pairs = [(i, j) for i in range(0, 60, 7) for j in range(60, 96, 5)]
    assert [matrix[i][j] for i, j in pairs] == [
        service.evaluator.count(Group("all", (trees[i], trees[j]))) for i, j in pairs]
    assert any(matrix[i][j] for i, j in pairs)


@given(st.lists(st.tuples(st.integers(0, (1 << 70) - 1), st.integers(1, 5000)), max_size=60))
def test_overlap_of_sets_sums_the_sets_holding_both(rows):
    """The bit-sliced pair sums against the plain double loop, sets of up to 70 formulas
    (two masks) and sizes of many binary digits."""
    packed = [(mask & (1 << 60) - 1, mask >> 60, n) for mask, n in rows]
    expected = [[sum(n for mask, n in rows if mask >> i & 1 and mask >> j & 1)
                 for j in range(70)] for i in range(70)]
    assert overview.overlap_of_sets(packed, 70) == expected
