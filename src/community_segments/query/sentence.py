"""A readable sentence for any criteria: "Department equals Customer Success and ..."."""

from __future__ import annotations

from collections.abc import Callable

from ..fields import FieldType
from ..registry import FieldRegistry
from .operators import Arity, Operator, operator
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
    entry = operator(field.type, rule.op)
    if field.type is FieldType.SEGMENT:  # "In segment Champions", "Not in segment A or B"
        phrase = _phrase(entry, [title_of(ident) for ident in rule.value])
        return phrase[0].upper() + phrase[1:]
    return f"{field.label} {_phrase(entry, rule.value)}".rstrip()


def _phrase(entry: Operator, value) -> str:
    """The operator's label with its value: "is between 3 and 10", "less than 1 day ago"."""
    match entry.arity:
        case Arity.NONE:
            return entry.label
        case Arity.DAYS:  # the label says N where the number goes
            return entry.label.replace("N days", f"{value} {'day' if value == 1 else 'days'}")
        case Arity.RANGE:
            return f"{entry.label} {value[0]} and {value[1]}"
        case Arity.LIST:
            glue = " and " if entry.each else " or "  # has_all holds for each value
            *head, last = map(str, value)
            return f"{entry.label} {', '.join(head) + glue + last if head else last}"
    return f"{entry.label} {value}"
