"""A readable sentence for any criteria: "Department equals Customer Success and ..."."""

from __future__ import annotations

from collections.abc import Callable

from ..fields import FieldType
from ..registry import FieldRegistry
from .operators import OPERATORS, label
from .tree import Node, Rule

EVERYONE = "All members"
TitleOf = Callable[[int], str]


def describe(node: Node, registry: FieldRegistry, title_of: TitleOf | None = None) -> str:
    """The criteria in words; ``title_of`` names referenced segments (else "#id")."""
    text = _node(node, registry, title_of or (lambda ident: f"#{ident}"), top=True)
    return text or EVERYONE


def _node(node: Node, registry: FieldRegistry, title_of: TitleOf, top: bool = False) -> str:
    if isinstance(node, Rule):
        return _rule(node, registry, title_of)
    parts = [_node(child, registry, title_of) for child in node.rules]
    parts = [p for p in parts if p]
    if not parts:
        return "" if top else EVERYONE.lower()
    joined = f" {'and' if node.match == 'all' else 'or'} ".join(parts)
    return joined if top or len(parts) == 1 else f"({joined})"


def _rule(rule: Rule, registry: FieldRegistry, title_of: TitleOf) -> str:
    field = registry.get(rule.field)
    if field is None:
        return f"{rule.field} (unknown field) {rule.op.replace('_', ' ')}"
    if field.type is FieldType.SEGMENT:  # "In segment Champions", "Not in segment A or B"
        titles = [title_of(ident) for ident in rule.value]
        named = ", ".join(titles[:-1]) + " or " + titles[-1] if len(titles) > 1 else titles[0]
        return f"{'In' if rule.op == 'in' else 'Not in'} segment {named}"
    name = field.label
    value = rule.value
    match rule.op:
        case "less_than_days_ago" | "more_than_days_ago":
            word = "less" if rule.op.startswith("less") else "more"
            unit = "day" if value == 1 else "days"
            return f"{name} {word} than {value} {unit} ago"
        case "between":
            return f"{name} is between {value[0]} and {value[1]}"
    op_label = label(field.type, rule.op)
    if OPERATORS[rule.op].arity == "none":
        return f"{name} {op_label}"
    if isinstance(value, tuple | list):
        glue = " and " if rule.op == "has_all" else " or "
        value = ", ".join(map(str, value[:-1])) + glue + str(value[-1]) if len(value) > 1 else value[0]
    return f"{name} {op_label} {value}"


