"""The text boundary: every string a user sends passes here before it is stored or queried.

What is refused, and why:

- NUL (U+0000): PostgreSQL text cannot hold it, and the drivers refuse to bind it.
- Lone surrogates (U+D800-U+DFFF): not encodable as UTF-8, so no database can store or
  compare them (a JSON escape such as ``"\\ud800"`` is the usual way in).
- Other C0 control characters (U+0001-U+001F) and DEL, except tab, line feed and
  carriage return in multi-line text (descriptions): they are invisible in pages and
  CSV, and nothing a member profile holds needs them. Single-line text (titles, group
  names, criteria values) refuses tab and line breaks too.

Lengths are counted in characters and fit every database's column: titles and group
names are ``VARCHAR(200)``; descriptions are ``TEXT``, which MariaDB caps at 65,535
bytes (16,383 four-byte characters) - our limit is far below that, because every
description is sent with the overview and the API list.

:func:`criteria_problems` walks a criteria document once, iteratively, before the
(much slower) marshmallow load: it refuses bad text in keys and values, numbers no
database column holds, and too many rules or too deep nesting, in milliseconds
whatever the size.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import ValidationError

TITLE_MAX = 200
GROUP_NAME_MAX = 200
DESCRIPTION_MAX = 5000
VALUE_MAX = 1000  # one criteria text value (a search term, a choice)
KEY_MAX = 100  # one criteria object key (field keys are short identifiers)
INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # BIGINT: the widest integer every database binds
ELEMENTS_MAX = 20_000  # JSON values in one criteria document (200 rules need ~2,000)

MULTI_LINE_CONTROLS = frozenset("\t\n\r")


def problem(text: str, *, max_length: int | None = None, multi_line: bool = False) -> str | None:
    """Why ``text`` cannot be stored or queried, or None when it is fine."""
    if max_length is not None and len(text) > max_length:
        return f"is longer than {max_length} characters ({len(text)})"
    for index, char in enumerate(text):
        code = ord(char)
        if code == 0:
            return f"contains a NUL character (at {index})"
        if 0xD800 <= code <= 0xDFFF:
            return f"contains a lone surrogate {char!r} (at {index}); send valid Unicode"
        if (code < 0x20 or code == 0x7F) and not (multi_line and char in MULTI_LINE_CONTROLS):
            return f"contains the control character {char!r} (at {index})"
    return None


def clean(value: Any, path: str, *, max_length: int | None = None,
          multi_line: bool = False) -> Any:
    """``value`` unchanged when it is fine text (or not text); ValidationError naming ``path``."""
    if isinstance(value, str):
        found = problem(value, max_length=max_length, multi_line=multi_line)
        if found:
            raise ValidationError({path: [f"{path} {found}"]})
    return value


def line(value: Any, key: str, max_length: int) -> str:
    """A required single-line name (title, group name), stripped; ValidationError naming ``key``."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError({key: [f"{key} is required"]})
    value = value.strip()
    found = problem(value, max_length=max_length)
    if found:
        raise ValidationError({key: [f"{key} {found}"]})
    return value


def description(value: Any, key: str = "description") -> str:
    """Optional multi-line text (None: empty); ValidationError naming ``key``."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({key: [f"{key} must be text"]})
    found = problem(value, max_length=DESCRIPTION_MAX, multi_line=True)
    if found:
        raise ValidationError({key: [f"{key} {found}"]})
    return value


def shown(text: str) -> str:
    """``text`` safe to echo in a page, a JSON answer or a log line (bad characters escaped)."""
    if problem(text) is None:
        return text
    return repr(text)[1:-1]


def join(path: str, key: Any) -> str:
    """The path of ``key`` under ``path``: ``rules[1]`` for an index, ``rules[1].op`` for a key."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    key = shown(str(key))
    return f"{path}.{key}" if path else key


def criteria_problems(data: Any, max_rules: int, max_depth: int) -> dict[str, list[str]]:
    """Problems of a criteria document found in one cheap pass: ``{path: [message]}``.

    Stops at the first problem: a document that fails here is refused whole, and its
    first fault is what the user needs to fix. Iterative, so no nesting can exhaust
    the stack.
    """
    rules, seen = 0, 0
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]  # (node, path, group depth)
    while stack:
        node, path, depth = stack.pop()
        seen += 1
        if seen > ELEMENTS_MAX:
            return {path or "criteria": [f"criteria hold more than {ELEMENTS_MAX} values"]}
        if isinstance(node, dict) and path.endswith("]"):
            if "rules" in node or "match" in node:
                depth += 1
                if depth > max_depth:
                    return {path: [f"groups nest deeper than {max_depth} levels"]}
            else:
                rules += 1
                if rules > max_rules:
                    return {"rules": [f"more than {max_rules} rules"]}
        found = _scalar_problem(node) or _key_problem(node, path)
        if found:
            return found if isinstance(found, dict) else {path or "criteria": [found]}
        stack.extend(reversed(list(_children(node, path, depth))))
    return {}


def _key_problem(node: Any, path: str) -> dict[str, list[str]] | None:
    if not isinstance(node, dict):
        return None
    for key in node:
        found = problem(key, max_length=KEY_MAX) if isinstance(key, str) else None
        if found:
            return {join(path, key): [f"the key {found}"]}
    return None


def _children(node: Any, path: str, depth: int):
    if isinstance(node, dict):
        yield from ((value, join(path, key), depth) for key, value in node.items())
    elif isinstance(node, list | tuple):
        yield from ((value, join(path, i), depth) for i, value in enumerate(node))


def _scalar_problem(node: Any) -> str | None:
    if isinstance(node, str):
        return problem(node, max_length=VALUE_MAX)
    if isinstance(node, bool):
        return None
    if isinstance(node, int) and not INT_MIN <= node <= INT_MAX:
        return (f"a {node.bit_length()}-bit number is out of range "
                f"(whole numbers go from {INT_MIN} to {INT_MAX})")
    if isinstance(node, float) and not math.isfinite(node):
        return f"{node!r} is not a finite number"
    return None


def json_problems(data: Any, path: str = "") -> dict[str, list[str]]:
    """The first bad string (key or value) in a JSON document, by path; lengths unchecked.

    The outer boundary for whole request bodies: multi-line text is fine here, the
    fields' own rules (title, criteria value...) apply later.
    """
    stack: list[tuple[Any, str]] = [(data, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            found = problem(node, multi_line=True)
            if found:
                return {where: [found]}
        elif isinstance(node, dict):
            for key, value in node.items():
                found = problem(key, multi_line=True) if isinstance(key, str) else None
                if found:
                    return {join(where, key): [f"the key {found}"]}
                stack.append((value, join(where, key)))
        elif isinstance(node, list):
            stack.extend((value, join(where, i)) for i, value in enumerate(node))
    return {}
