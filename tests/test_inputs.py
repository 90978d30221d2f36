"""The one home of each boundary rule (inputs.py), the parsed Criteria value, and the typed
configuration."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from community_segments import FilterField, SegmentsConfig
from community_segments.errors import CriteriaError, ValidationError
from community_segments.inputs import (
    MAX_ID,
    BadJSON,
    as_id,
    check_page,
    check_sort,
    id_list,
    load_json,
    page_number,
    percent,
)
from community_segments.query.criteria import Criteria, parse, parse_text
from community_segments.registry import FieldRegistry

REGISTRY = FieldRegistry([FilterField(key="n", label="N", type="number",
                                      column=sa.column("n", sa.Integer))])
RULE = {"field": "n", "op": "gt", "value": 1}


def test_percent_has_one_decimal_and_no_division_by_zero():
    assert percent(1, 3) == 33.3 and percent(0, 0) == 0.0 and percent(5, 5) == 100.0


@pytest.mark.parametrize(("ident", "expected"), [
    (7, 7), ("7", 7), ("0", None), (0, None), (MAX_ID, MAX_ID), (MAX_ID + 1, None),
    ("²", None), ("US", None), (True, None), (None, None)])
def test_as_id(ident, expected):
    assert as_id(ident) == expected


def test_paging_rules_name_what_is_wrong():
    assert page_number("3") == 3
    with pytest.raises(ValidationError, match="'x' is not a page number"):
        page_number("x")
    with pytest.raises(ValidationError, match="'age' is not sortable; use one of: email"):
        check_sort("age", "asc", ["email"])
    with pytest.raises(ValidationError, match="'up' is not 'asc' or 'desc'"):
        check_sort("email", "up", ["email"])
    with pytest.raises(ValidationError, match="per_page 1 to 500"):
        check_page(1, 501)
    with pytest.raises(ValidationError, match="comma-separated"):
        id_list("1,x")


def test_load_json_never_raises_recursion_error():
    with pytest.raises(BadJSON) as deep:
        load_json("[" * 100_000 + "]" * 100_000)
    assert deep.value.too_deep
    with pytest.raises(BadJSON) as bad:
        load_json(b"\xff{")
    assert not bad.value.too_deep


def test_criteria_are_parsed_once_into_a_frozen_value():
    criteria = parse({"rules": [RULE]}, REGISTRY)
    assert isinstance(criteria, Criteria)
    assert criteria.to_dict() == {"match": "all", "rules": [RULE]}
    criteria.to_dict()["rules"].clear()  # a copy: the value itself cannot change
    assert criteria.to_dict()["rules"] == [RULE]
    with pytest.raises(dataclasses.FrozenInstanceError):
        criteria.text = "{}"
    assert parse(criteria.text, REGISTRY) == criteria
    assert parse_text("  ", REGISTRY).to_dict() == {"match": "all", "rules": []}


def test_criteria_errors_are_prefixed_once():
    with pytest.raises(CriteriaError) as exc:
        parse({"rules": [{"field": "n", "op": "contains"}]}, REGISTRY, prefix="criteria")
    assert list(exc.value.errors) == ["criteria.rules[0].op"]
    with pytest.raises(CriteriaError, match="criteria are not valid JSON"):
        parse("{nope", REGISTRY)


def test_config_is_read_from_app_config_over_host_defaults():
    config = SegmentsConfig.load({"SEGMENTS_LAYOUT": "mine.html", "SEGMENTS_PER_PAGE": 10,
                                  "SEGMENTS_STATEMENT_TIMEOUT_MS": 0, "SECRET_KEY": "x"},
                                 layout="host.html", login_endpoint="login")
    assert (config.layout, config.login_endpoint, config.rows_per_page()) == ("mine.html", "login", 10)
    assert config.statement_timeout_ms is None and config.url_prefix == "/admin/segments"
    assert SegmentsConfig.load({}, per_page=lambda: 7).rows_per_page() == 7
    with pytest.raises(TypeError, match="unknown segments settings"):
        SegmentsConfig.load({}, layuot="typo.html")
