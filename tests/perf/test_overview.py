"""The one-pass overview and overlap give exactly what one query per segment gives."""

from __future__ import annotations

import sqlalchemy as sa
from bench.segments import SEGMENTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from community_segments.models import Segment
from community_segments.query import overview
from community_segments.query.tree import Group

RULES = [
    {"field": "primary_role", "op": "equals", "value": "Registered user"},
    {"field": "primary_role", "op": "not_in", "value": ["Banned", "Moderator"]},
    {"field": "country", "op": "not_equals", "value": "US"},
    {"field": "country", "op": "is_empty"},
    {"field": "department", "op": "is_not_empty"},
    {"field": "department", "op": "equals", "value": "ünternehmen"},
    {"field": "email", "op": "contains", "value": "@LOGOIPSUM.com"},
    {"field": "email", "op": "not_contains", "value": "zoë"},
    {"field": "job_title", "op": "contains", "value": "100%"},
    {"field": "job_title", "op": "not_contains", "value": "_"},
    {"field": "job_title", "op": "starts_with", "value": "Senior"},
    {"field": "post_count", "op": "between", "value": [1, 9]},
    {"field": "post_count", "op": "not_equals", "value": 0},
    {"field": "last_activity", "op": "more_than_days_ago", "value": 60},
    {"field": "last_activity", "op": "less_than_days_ago", "value": 30},
    {"field": "signed_up", "op": "before", "value": "2025-01-01"},
    {"field": "groups", "op": "has_any", "value": ["Champions", "Partners"]},
    {"field": "groups", "op": "has_all", "value": ["Developers", "Beta testers"]},
    {"field": "groups", "op": "has_none", "value": ["Newsletter"]},
    {"field": "badges", "op": "is_empty"},
    {"field": "custom_roles", "op": "is_not_empty"},
]

HAND_PICKED = [
    {"match": "all", "rules": []},
    {"match": "any", "rules": []},
    {"match": "any", "rules": [{"match": "all", "rules": []}, RULES[3]]},
    {"match": "all", "rules": [RULES[2], RULES[7], {"match": "any", "rules": [
        RULES[13], {"match": "all", "rules": [RULES[18], RULES[19]]}]}]},
    {"match": "any", "rules": [RULES[17], {"match": "all", "rules": [RULES[5], RULES[9]]}]},
    {"match": "all", "rules": [RULES[4], {"match": "any", "rules": [RULES[8], RULES[12]]}]},
]


def _node(depth):
    rules = st.sampled_from(RULES)
    if depth == 0:
        return rules
    groups = st.builds(lambda match, parts: {"match": match, "rules": parts},
                       st.sampled_from(["all", "any"]), st.lists(_node(depth - 1), max_size=3))
    return st.one_of(rules, groups)


CRITERIA = st.builds(lambda match, parts: {"match": match, "rules": parts},
                     st.sampled_from(["all", "any"]), st.lists(_node(2), max_size=4))


def _simple_counts(service, trees):
    return [service.evaluator.count(tree) for tree in trees]


def _simple_overlap(service, trees):
    return [[service.evaluator.count(Group("all", (a, b))) for b in trees] for a in trees]


def test_benchmark_segments_count_as_one_query_each(service):
    trees = [service.parse(criteria) for _, criteria in SEGMENTS]
    counts = service.evaluator.counts(trees)
    assert counts == _simple_counts(service, trees)
    assert 0 < max(counts) < service.total_members()


def test_hand_picked_segments_count_and_overlap(service):
    trees = [service.parse(criteria) for criteria in HAND_PICKED + [{"match": "all", "rules": [r]}
                                                                     for r in RULES]]
    assert service.evaluator.counts(trees) == _simple_counts(service, trees)
    assert service.evaluator.overlap(trees[:8]) == _simple_overlap(service, trees[:8])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(CRITERIA, min_size=1, max_size=6))
def test_random_segment_sets(service, criteria_list):
    trees = [service.parse(criteria) for criteria in criteria_list]
    assert service.evaluator.counts(trees) == _simple_counts(service, trees)
    assert service.evaluator.overlap(trees) == _simple_overlap(service, trees)


def test_too_many_conditions_for_one_mask_split_into_passes(service, monkeypatch):
    monkeypatch.setattr(overview, "MAX_BITS", 3)
    trees = [service.parse(criteria) for criteria in HAND_PICKED[3:]]
    trees += [service.parse({"match": "all", "rules": RULES[:5]})]
    assert service.evaluator.counts(trees) == _simple_counts(service, trees)
    assert service.evaluator.overlap(trees) == _simple_overlap(service, trees)


def test_service_counts_keep_broken_segments(service):
    good = service.create("Registered", {"match": "all", "rules": [RULES[0]]})
    broken = service.create("Broken", {"match": "all", "rules": [RULES[1]]})
    broken.criteria = {"match": "all", "rules": [{"field": "shoe_size", "op": "gt", "value": 9}]}
    service.session.commit()
    counts = {c.segment.title: c for c in service.counts()}
    assert counts["Registered"].count == service.count(good.criteria) > 0
    assert counts["Broken"].broken and "shoe_size" in counts["Broken"].error
    assert counts["Broken"].count is None


def test_service_overlap_matches_pairs(service):
    made = [service.create(title, criteria) for title, criteria in SEGMENTS[:6]]
    result = service.overlap([s.id for s in made])
    trees = [service.parse(s.criteria) for s in made]
    assert result.matrix == _simple_overlap(service, trees)


def test_no_segments_no_query(service):
    assert service.evaluator.counts([]) == []
    assert service.evaluator.overlap([]) == []


def _referring(service):
    """Segments on segments: six bases, and references to them (nested, in and not_in)."""
    bases = [service.create(f"Base {i}", {"match": "all", "rules": [rule]})
             for i, rule in enumerate([RULES[0], RULES[2], RULES[13], RULES[16], RULES[19], RULES[8]])]
    ids = [b.id for b in bases]

    def ref(op, *numbers, extra=()):
        return {"match": "all", "rules": [
            {"field": "segment", "op": op, "value": [ids[n] for n in numbers]}, *extra]}
    first = service.create("Registered in Europe", ref("in", 0, extra=[RULES[2]]))
    second = service.create("Not champions", ref("not_in", 3, 4, extra=[RULES[0]]))
    nested = {"match": "any", "rules": [
        {"field": "segment", "op": "not_in", "value": [first.id]},
        {"field": "segment", "op": "in", "value": [second.id, ids[5]]}]}
    third = service.create("Nested", nested)
    return ids + [first.id, second.id, third.id]


def test_references_count_and_overlap_as_one_query_each(service):
    ids = _referring(service)
    criteria = [{"match": "all", "rules": [{"field": "segment", "op": op, "value": [i]}]}
                for i in ids for op in ("in", "not_in")]
    criteria += [{"match": "any", "rules": [RULES[3], {"field": "segment", "op": "not_in",
                                                      "value": ids[-3:]}]}]
    trees = [service.parse(c) for c in criteria]
    assert service.evaluator.counts(trees) == _simple_counts(service, trees)
    assert service.evaluator.overlap(trees[:10]) == _simple_overlap(service, trees[:10])
    counted = {c.segment.id: c.count for c in service.counts()}
    assert [counted[i] for i in ids] == _simple_counts(service, trees[0::2][:len(ids)])


def test_references_share_the_atoms_of_the_segments_they_refer_to(service):
    ids = _referring(service)
    atoms = overview.Atoms(service.registry, service.resolve)
    for segment_id in ids:
        atoms.formula(service.parse(service.get(segment_id).criteria))
    assert len(atoms) == 6  # the bases' six conditions: every referrer reuses them


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["in", "not_in"]), st.lists(st.integers(0, 8), min_size=1,
                                                                       max_size=3, unique=True),
                          CRITERIA), min_size=1, max_size=5))
def test_random_references_fast_path_equals_slow_path(service, picks):
    ids = service.session.scalars(sa.select(Segment.id).order_by(Segment.id)).all() or _referring(service)
    trees = [service.parse({"match": "all", "rules": [
        {"field": "segment", "op": op, "value": [ids[n] for n in numbers]}, criteria]})
        for op, numbers, criteria in picks]
    assert service.evaluator.counts(trees) == _simple_counts(service, trees)
    assert service.evaluator.overlap(trees) == _simple_overlap(service, trees)
    monkeypatched = overview.MAX_BITS
    try:  # and when the atoms do not fit one mask
        overview.MAX_BITS = 3
        assert service.evaluator.counts(trees) == _simple_counts(service, trees)
        assert service.evaluator.overlap(trees) == _simple_overlap(service, trees)
    finally:
        overview.MAX_BITS = monkeypatched
