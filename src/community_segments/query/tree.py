"""The criteria tree: what a parsed, validated criteria document becomes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Rule:
    field: str
    op: str
    value: Any = None

    def to_dict(self) -> dict:
        data = {"field": self.field, "op": self.op}
        if self.value is not None:
            data["value"] = list(self.value) if isinstance(self.value, tuple) else self.value
        return data


@dataclass(frozen=True)
class Group:
    match: Literal["all", "any"] = "all"
    rules: tuple[Rule | Group, ...] = ()

    def to_dict(self) -> dict:
        return {"match": self.match, "rules": [node.to_dict() for node in self.rules]}


Node = Rule | Group
EVERYONE = Group()


def iter_rules(node: Node, path: str = "") -> Iterator[tuple[str, Rule]]:
    """Every rule of the tree with its path (``rules[1].rules[0]``)."""
    if isinstance(node, Rule):
        yield path, node
        return
    for index, child in enumerate(node.rules):
        yield from iter_rules(child, f"{path}.rules[{index}]" if path else f"rules[{index}]")
