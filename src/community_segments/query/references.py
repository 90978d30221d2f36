"""Segments built on segments: the rule ``segment in [5, 7]`` is inlined as the criteria of
segments 5 and 7, as they are defined when evaluated (live, never a copy).

The engine stays pure: a *resolver* (the service's) maps a segment id to its parsed
criteria, or raises :class:`BrokenReference` saying why it cannot (deleted, broken).
:class:`Inliner` walks references depth first, refusing cycles with their path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from ..errors import CriteriaError
from .tree import Group, Node, Rule

FIELD = "segment"  # the built-in field's key, on every host

Resolver = Callable[[int], Node]
T = TypeVar("T")


class BrokenReference(Exception):
    """A referenced segment that cannot be evaluated; the message says why."""


class Inliner:
    """Resolves the references of one evaluation, guarding against cycles."""

    def __init__(self, resolve: Resolver | None):
        self.resolve = resolve
        self.chain: list[int] = []

    def inline(self, rule: Rule, path: str, each: Callable[[Node], T]) -> list[T]:
        """``each(tree)`` for the criteria of every segment ``rule`` refers to.

        A problem inside a referenced segment is reported on the referring rule.
        """
        where = f"{path}.value" if path else "value"
        results = []
        for ident in rule.value:
            if ident in self.chain:
                loop = self.chain[self.chain.index(ident):]
                raise CriteriaError({where: [cycle_message(loop[0], [*loop[1:], ident])]})
            tree = self._tree(ident, where)
            self.chain.append(ident)
            try:
                results.append(each(tree))
            except CriteriaError as exc:
                raise CriteriaError({where: [f"segment {ident} is broken: {exc.one_line()}"]}) from None
            finally:
                self.chain.pop()
        return results

    def _tree(self, ident: int, where: str) -> Node:
        if self.resolve is None:
            raise CriteriaError({where: ["segment references are only evaluated by the service"]})
        try:
            return self.resolve(ident)
        except BrokenReference as exc:
            raise CriteriaError({where: [str(exc)]}) from None


def cycle_message(start: int, rest: list[int]) -> str:
    """``segment 5 leads back to itself (5 -> 7 -> 5)``"""
    return f"segment {start} leads back to itself ({' -> '.join(map(str, [start, *rest]))})"


# -- the raw JSON of stored criteria (possibly broken: never parsed here) ----------------

def referenced_ids(criteria: Any, path: str = "") -> Iterator[tuple[str, int]]:
    """``(rule path, segment id)`` of every reference in criteria JSON, however malformed."""
    if not isinstance(criteria, dict):
        return
    if isinstance(criteria.get("rules"), list):
        for index, child in enumerate(criteria["rules"]):
            yield from referenced_ids(child, f"{path}.rules[{index}]" if path else f"rules[{index}]")
        return
    if criteria.get("field") == FIELD and isinstance(criteria.get("value"), list):
        for value in criteria["value"]:
            if isinstance(value, str) and value.isascii() and value.isdigit():
                value = int(value)
            if isinstance(value, int) and not isinstance(value, bool):
                yield path, value


def find_cycle(own_id: int, criteria: Any, stored: dict[int, Any]) -> tuple[str, list[int]] | None:
    """A cycle that saving ``criteria`` on segment ``own_id`` would close, as (rule path,
    the ids from ``own_id`` back to it), found depth first through ``stored`` criteria."""
    for path, first in referenced_ids(criteria):
        trail = _trail(first, own_id, stored, set())
        if trail is not None:
            return path, [own_id, *trail]
    return None


def _trail(current: int, target: int, stored: dict[int, Any], seen: set[int]) -> list[int] | None:
    if current == target:
        return [current]
    if current in seen or current not in stored:
        return None
    seen.add(current)
    for _path, nxt in referenced_ids(stored[current]):
        rest = _trail(nxt, target, stored, seen)
        if rest is not None:
            return [current, *rest]
    return None


def is_reference(node: Node) -> bool:
    return isinstance(node, Rule) and node.field == FIELD


def references(node: Node) -> Iterator[int]:
    """The segment ids a parsed tree refers to directly."""
    if isinstance(node, Group):
        for child in node.rules:
            yield from references(child)
    elif is_reference(node):
        yield from node.value
