"""The two counting paths of the overview and overlap, the rule that picks one, and the
deadline the Python fold shares with the SQL (issue 15)."""

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


@pytest.fixture(params=["fold", "sql"])
def path(request, monkeypatch):
    """Force one path whatever the rule says, and fail if the other one runs."""
    forced = request.param
    monkeypatch.setattr(overview, "count_in_sql", lambda atoms: forced == "sql")
    refuse = {"fold": ("select_counts", "select_sets"), "sql": ("select",)}[forced]
    for name in refuse:
        def refused(*args, name=name, **kwargs):
            raise AssertionError(f"{name} ran on the {forced} path")
        monkeypatch.setattr(overview.MaskQuery, name, refused)
    return forced


def test_the_rule_folds_few_conditions_and_counts_many_in_sql(service):
    assert _atoms(service, _trees(service, scaled(6))) <= overview.FOLD_MAX_ATOMS
    assert not overview.count_in_sql(_atoms(service, _trees(service, scaled(6))))
    assert overview.count_in_sql(_atoms(service, _trees(service, scaled(24))))
    assert overview.count_in_sql(_atoms(service, _trees(service, scaled(96))))


def test_96_generated_segments_count_as_one_query_each(service, path):
    trees = _trees(service, scaled(96))
    if path == "fold":  # 58 conditions: one 60-bit mask still holds them
        assert _atoms(service, trees) <= overview.MAX_BITS
    counts = service.evaluator.counts(trees)
    assert counts == _simple_counts(service, trees)
    assert len(set(counts)) > 20  # distinct segments, not 96 copies of one count


def test_hand_picked_count_and_overlap_on_both_paths(service, path):
    trees = [service.parse(c) for c in HAND_PICKED + [{"match": "all", "rules": [r]}
                                                      for r in RULES]]
    assert service.evaluator.counts(trees) == _simple_counts(service, trees)
    assert service.evaluator.overlap(trees[:10]) == _simple_overlap(service, trees[:10])


def test_overlap_of_generated_segments_per_pair(service, path):
    trees = _trees(service, scaled(40))[16:40]  # 24 segments: 14 benchmark, 10 generated
    assert service.evaluator.overlap(trees) == _simple_overlap(service, trees)


def test_the_rule_picks_sql_for_96_segments(service, monkeypatch):
    def refused(*args, **kwargs):
        raise AssertionError("96 segments were folded in Python")
    monkeypatch.setattr(overview.MaskQuery, "select", refused)
    trees = _trees(service, scaled(96))
    assert service.evaluator.counts(trees) == _simple_counts(service, trees)
    matrix = service.evaluator.overlap(trees)
    assert [matrix[i][i] for i in range(len(trees))] == _simple_counts(service, trees)
    assert matrix[0][95] == service.evaluator.count(Group("all", (trees[0], trees[95])))


def test_no_segments_on_the_sql_path(service, path):
    assert service.evaluator.counts([]) == []
    assert service.evaluator.overlap([]) == []


@pytest.mark.parametrize("kind", ["counts", "overlap"])
def test_the_python_fold_is_interrupted_by_the_statement_timeout(service, monkeypatch, kind):
    """A fold slower than the timeout stops at it, on every database (SQLite included,
    which has no timeout of its own for SQL)."""
    monkeypatch.setattr(overview, "count_in_sql", lambda atoms: False)
    monkeypatch.setattr(overview, "CHECK_EVERY", 1)  # look at the clock at every mask
    slow, real = [], overview.evaluate

    def slow_evaluate(formula, mask):
        slow.append(1)
        time.sleep(0.05)
        return real(formula, mask)
    monkeypatch.setattr(overview, "evaluate", slow_evaluate)
    trees = _trees(service, scaled(6))
    service.evaluator.timeout_ms = 800
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="took longer than 0.8 s"):
        getattr(service.evaluator, kind)(trees)
    elapsed = time.monotonic() - started
    assert slow, "the fold never ran"
    assert elapsed < 0.8 + 0.5  # stopped at the deadline, not at the end of the fold


def test_overlap_of_96_segments_is_the_same_on_both_paths(service, monkeypatch):
    """Past 60 segments the sets take two masks: every pair across them is checked
    against the mask fold (itself checked against one query per pair above)."""
    trees = _trees(service, scaled(96))
    monkeypatch.setattr(overview, "count_in_sql", lambda atoms: True)
    in_sql = service.evaluator.overlap(trees)
    monkeypatch.setattr(overview, "count_in_sql", lambda atoms: False)
    assert in_sql == service.evaluator.overlap(trees)
    assert any(in_sql[i][j] for i in range(60) for j in range(60, 96))


@given(st.lists(st.tuples(st.integers(0, (1 << 70) - 1), st.integers(1, 5000)), max_size=60))
def test_overlap_of_sets_sums_the_sets_holding_both(rows):
    """The bit-sliced pair sums against the plain double loop, sets of up to 70 formulas
    (two masks) and sizes of many binary digits."""
    packed = [(mask & (1 << 60) - 1, mask >> 60, n) for mask, n in rows]
    expected = [[sum(n for mask, n in rows if mask >> i & 1 and mask >> j & 1)
                 for j in range(70)] for i in range(70)]
    assert overview.overlap_of_sets(packed, 70) == expected
