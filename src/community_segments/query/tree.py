"""The criteria tree: what a parsed, validated criteria document becomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Rule:
    field: str
    op: str
    value: Any = None

    def to_dict(self) -> dict:
        data: dict[str, Any] = {"field": self.field, "op": self.op}
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
