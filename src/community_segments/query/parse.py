"""Parse and validate criteria JSON into a tree (marshmallow, recursive).

Errors come back as a :class:`CriteriaError` whose keys are rule paths such as
``rules[1].op``, and whose messages say what is wrong and what would fit.
"""

from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from .. import text
from ..errors import CriteriaError
from ..fields import FieldType
from ..registry import FieldRegistry
from .operators import BY_TYPE, BadValue, clean_value
from .tree import Group, Node, Rule

MAX_DEPTH = 8
MAX_RULES = 200


class _RegistrySchema(Schema):
    def __init__(self, registry: FieldRegistry, depth: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.registry = registry
        self.depth = depth


class NodeField(fields.Field):
    """A rule or a nested group, told apart by the ``rules`` key."""

    def _deserialize(self, value, attr, data, **kwargs):
        schema = self.parent.parent if isinstance(self.parent, fields.List) else self.parent
        assert isinstance(schema, _RegistrySchema)
        if not isinstance(value, dict):
            raise ValidationError("Not a rule or group object.")
        cls = GroupSchema if "rules" in value or "match" in value else RuleSchema
        if cls is GroupSchema and schema.depth >= MAX_DEPTH:  # stop before recursing deeper
            raise ValidationError(f"groups nest deeper than {MAX_DEPTH} levels")
        return cls(schema.registry, schema.depth + 1).load(value)


class RuleSchema(_RegistrySchema):
    field = fields.String(required=True)
    op = fields.String(required=True)
    value = fields.Raw(load_default=None, allow_none=True)

    @validates_schema
    def _check(self, data, **kwargs):
        key, op = data["field"], data["op"]
        field = self.registry.get(key)
        if field is None:
            raise ValidationError(_unknown(self.registry, key), "field")
        if op not in BY_TYPE[field.type]:
            raise ValidationError(
                f"{op!r} is not an operator of {field.type} field {key!r} "
                f"(use one of: {', '.join(BY_TYPE[field.type])})", "op")
        try:
            data["value"] = _with_choices(field, clean_value(field.type, op, data["value"]))
        except BadValue as exc:
            raise ValidationError(f"{exc} for {op!r} on field {key!r}", "value") from None

    @post_load
    def _make(self, data, **kwargs) -> Rule:
        return Rule(data["field"], data["op"], data["value"])


def _with_choices(field, value):
    """Enum values must be among static choices; they are matched case-insensitively."""
    choices = field.choice_list() if field.type is FieldType.ENUM else None
    if value is None or not choices:
        return value
    canonical = {choice.lower(): choice for choice in choices}

    def one(v):
        if v.lower() not in canonical:
            raise BadValue(f"{v!r} is not a choice of enum field {field.key!r}")
        return canonical[v.lower()]
    return tuple(one(v) for v in value) if isinstance(value, tuple) else one(value)


class GroupSchema(_RegistrySchema):
    match = fields.String(load_default="all", validate=validate.OneOf(["all", "any"]))
    rules = fields.List(NodeField(), load_default=list)

    @post_load
    def _make(self, data, **kwargs) -> Group:
        return Group(data["match"], tuple(data["rules"]))


def flatten_errors(messages: Any, path: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict as ``{"rules[1].op": [...]}``."""
    if isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            return {path: list(messages)}
        messages = dict(enumerate(messages))
    if isinstance(messages, str):
        return {path: [messages]}
    flat: dict[str, list[str]] = {}
    for key, sub in messages.items():
        if isinstance(key, int):
            sub_path = f"{path}[{key}]"
        elif key == "_schema":
            sub_path = path
        else:
            sub_path = f"{path}.{key}" if path else key
        for p, msgs in flatten_errors(sub, sub_path).items():
            flat.setdefault(p, []).extend(msgs)
    return flat


def parse_criteria(data: Any, registry: FieldRegistry) -> Group:
    """Validate criteria (a dict, or a JSON string) and return its tree; raises CriteriaError."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise CriteriaError({"": [f"criteria are not valid JSON: {exc}"]}) from None
        except RecursionError:
            raise CriteriaError({"": [f"groups nest deeper than {MAX_DEPTH} levels"]}) from None
    if not isinstance(data, dict):
        raise CriteriaError({"": [f"criteria must be an object with 'match' and 'rules', "
                                  f"not {type(data).__name__}"]})
    # One cheap pass first: bad text, out-of-range numbers, too many rules or levels are
    # refused before the schema load, which costs seconds on 100,000 rules.
    problems = text.criteria_problems(data, MAX_RULES, MAX_DEPTH)
    if problems:
        raise CriteriaError(problems)
    try:
        tree = GroupSchema(registry).load(data)
    except ValidationError as exc:
        raise CriteriaError(flatten_errors(exc.messages)) from None
    if _count(tree) > MAX_RULES:
        raise CriteriaError({"rules": [f"more than {MAX_RULES} rules"]})
    return tree


def _count(node: Node) -> int:
    return 1 if isinstance(node, Rule) else sum(_count(n) for n in node.rules)


def _unknown(registry, key: str) -> str:
    """Registries that know about failing plugins say so (a field may be theirs)."""
    unknown = getattr(registry, "unknown", None)
    return unknown(key) if unknown else f"unknown field {key!r}"
