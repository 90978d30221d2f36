"""The field catalogue: what every UI (API, builder, CLI) learns about fields and operators."""

from __future__ import annotations

from community_segments.catalogue import by_category, describe_fields
from community_segments.query.operators import BY_TYPE
from community_segments.query.parse import parse_criteria
from community_segments.query.sentence import describe

from .member_model import COUNTRIES, registry

FIELDS = registry()
ARITIES = {"none", "one", "list", "range", "days"}
VALUE_KINDS = {"none", "days", "text", "number", "date", "choice", "segment"}
SAMPLE = {("one", "text"): "x", ("one", "choice"): "US", ("one", "number"): 3,
          ("one", "date"): "2026-01-01", ("list", "text"): ["x", "y"],
          ("list", "choice"): ["US", "DE"], ("range", "number"): [1, 2],
          ("range", "date"): ["2026-01-01", "2026-01-02"], ("days", "days"): 5,
          ("list", "segment"): [1]}


def _described():
    return {f["key"]: f for f in describe_fields(FIELDS)}


def test_every_field_with_its_operators_in_the_table_order():
    described = _described()
    assert list(described) == [f.key for f in FIELDS]
    for field in FIELDS:
        entry = described[field.key]
        assert {k: entry[k] for k in ("key", "label", "type", "category", "provider")} == {
            "key": field.key, "label": field.label, "type": str(field.type),
            "category": field.category, "provider": field.provider}
        assert [op["key"] for op in entry["operators"]] == list(BY_TYPE[field.type])


def test_operators_say_how_to_ask_for_their_value():
    described = _described()
    ops = {(key, op["key"]): op for key, f in described.items() for op in f["operators"]}
    assert all(op["arity"] in ARITIES and op["value"] in VALUE_KINDS and op["label"]
               for op in ops.values())
    assert ops["country", "in"] == {"key": "in", "label": "is any of", "arity": "list",
                                    "value": "choice"}
    assert ops["country", "equals"]["label"] == "is"
    assert ops["tags", "has_all"]["value"] == "text"  # no choices: free text
    assert ops["karma", "between"] == {"key": "between", "label": "is between",
                                       "arity": "range", "value": "number"}
    assert ops["last_seen", "less_than_days_ago"]["value"] == "days"
    assert ops["verified", "is_true"]["value"] == "none"
    assert described["country"]["choices"] == COUNTRIES


def test_the_sentence_uses_the_catalogue_labels():
    for key, field in _described().items():
        for op in field["operators"]:
            rule = {"field": key, "op": op["key"]}
            if op["arity"] != "none":
                rule["value"] = SAMPLE[op["arity"], op["value"]]
            text = describe(parse_criteria({"match": "all", "rules": [rule]}, FIELDS), FIELDS)
            words = op["label"].split(" N ")[0]  # "less than N days ago" -> "less than 5 ..."
            if field["type"] == "segment":  # the label is the sentence: "In segment Champions"
                assert text.startswith(words[0].upper() + words[1:]), (text, op)
                continue
            assert text.startswith(f"{field['label']} {words}"), (text, op)


def test_grouped_by_category_and_label():
    groups = by_category(describe_fields(FIELDS))
    assert [g["category"] for g in groups] == sorted({f.category for f in FIELDS})
    for group in groups:
        labels = [f["label"] for f in group["fields"]]
        assert labels == sorted(labels)
