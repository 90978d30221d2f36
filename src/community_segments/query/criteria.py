"""A parsed criteria value: made once where criteria enter (API request, form, CLI
option, stored segment) and passed down to the service and the evaluator unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..errors import CriteriaError
from ..inputs import BadJSON, load_json
from ..registry import FieldRegistry
from .parse import MAX_DEPTH, parse_criteria
from .tree import Group

EMPTY = {"match": "all", "rules": []}


@dataclass(frozen=True)
class Criteria:
    """Validated criteria: the tree the compiler reads and its canonical JSON text.

    ``text`` is what is stored and compared; :meth:`to_dict` gives a fresh copy each
    time, so no caller can change the value another one holds.
    """

    tree: Group
    text: str

    @classmethod
    def of(cls, tree: Group) -> Criteria:
        return cls(tree, json.dumps(tree.to_dict(), separators=(",", ":")))

    def to_dict(self) -> dict:
        return self.tree.to_dict()


def parse(data: Any, registry: FieldRegistry, prefix: str = "") -> Criteria:
    """Criteria from a dict or JSON text, validated against ``registry``.

    Raises :class:`CriteriaError` whose paths start with ``prefix`` (``criteria`` gives
    ``criteria.rules[1].op``), prefixed here and nowhere else.
    """
    try:
        if isinstance(data, str | bytes):
            data = _load(data)
        return Criteria.of(parse_criteria(data, registry))
    except CriteriaError as exc:
        if not prefix:
            raise
        raise CriteriaError({_prefixed(prefix, path): msgs
                             for path, msgs in exc.errors.items()}) from None


def parse_text(text: str | None, registry: FieldRegistry, prefix: str = "") -> Criteria:
    """Criteria typed in a form or on the command line; empty text means every member."""
    if text is None or not text.strip():
        return parse(EMPTY, registry, prefix)
    return parse(text, registry, prefix)


def _load(text: str | bytes) -> Any:
    try:
        return load_json(text)
    except BadJSON as exc:
        message = (f"groups nest deeper than {MAX_DEPTH} levels" if exc.too_deep
                   else f"criteria are not valid JSON: {exc}")
        raise CriteriaError({"": [message]}) from None


def _prefixed(prefix: str, path: str) -> str:
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"
