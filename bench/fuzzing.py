"""Hostile requests for every route of the demo, drawn from a ``random.Random``.

Shared by the property test (tests/fuzz, where hypothesis drives the ``Random`` and
shrinks what it draws) and the standing script bench/fuzz.py (a seeded ``Random``
against a real server). Only public names are used: routes, field keys and operators
from shared/DESIGN.md.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

PAGES = "/admin/segments"
API = f"{PAGES}/api"
CAMPAIGNS = "/admin/campaigns"
FIELDS = ["username", "email", "job_title", "department", "country", "primary_role",
          "custom_roles", "groups", "badges", "signed_up", "last_activity", "post_count",
          "segment"]
OPERATORS = ["equals", "not_equals", "contains", "not_contains", "starts_with", "ends_with",
             "is_empty", "is_not_empty", "in", "not_in", "gt", "gte", "lt", "lte", "between",
             "before", "after", "less_than_days_ago", "more_than_days_ago", "is_true",
             "is_false", "has_any", "has_all", "has_none"]
TYPES = {"text": ["username", "email", "job_title", "department"],
         "enum": ["country", "primary_role"], "multi": ["custom_roles", "groups", "badges"],
         "date": ["signed_up", "last_activity"], "number": ["post_count"], "segment": ["segment"]}
OPERATORS_OF = {
    "text": ["equals", "not_equals", "contains", "not_contains", "starts_with", "ends_with",
             "is_empty", "is_not_empty"],
    "enum": ["equals", "not_equals", "in", "not_in", "is_empty", "is_not_empty"],
    "number": ["equals", "not_equals", "gt", "gte", "lt", "lte", "between", "is_empty",
               "is_not_empty"],
    "date": ["before", "after", "between", "less_than_days_ago", "more_than_days_ago",
             "is_empty", "is_not_empty"],
    "multi": ["has_any", "has_all", "has_none", "is_empty", "is_not_empty"],
    "segment": ["in", "not_in"]}
TYPE_OF = {key: kind for kind, keys in TYPES.items() for key in keys}
NASTY_TEXT = ["\x00", "a\x00b", "\ud800", "\udfff", "x\ud83d", "\ud83d\ude00", "\x1b[31m",
              "\t", "\n", "\r\n", "\x7f", "\u202e", "\ufeff", "\u0301", "%", "_", "\\", "'",
              '"', "<script>alert(1)</script>", "{{7*7}}", "' OR 1=1 --", "Customer Success",
              "Registered user", "US", "", " ", "=cmd|' /C calc'!A0", "2024-01-01",
              "2024-13-45", "9999-12-31", "0001-01-01", "null", "NaN"]
NASTY_NUMBERS = [0, -1, 1, 7, 2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**30,
                 10**400, 1.5, -0.0, 1e308, float("nan"), float("inf"), True, False, None]
LENGTHS = [199, 200, 201, 4999, 5000, 5001, 70_000]


@dataclass
class Call:
    """One request: ``body`` is raw text (JSON), ``form`` form fields; ``write`` changes state."""

    method: str
    path: str
    body: str | None = None
    form: dict[str, str] | None = None
    write: bool = False
    csrf: bool = True
    headers: dict[str, str] = field(default_factory=dict)
    sentinel: bool = False  # a check after a write, not a fuzzed request

    def __str__(self) -> str:
        sent = self.body if self.body is not None else self.form
        shown = repr(sent)
        return f"{self.method} {self.path} {shown[:300]}{'...' if len(shown) > 300 else ''}"


class Fuzzer:
    """Draws calls; ``ids`` are segment and group ids worth aiming at (they exist, mostly)."""

    def __init__(self, rng: random.Random, ids: range = range(1, 40)):
        self.rng, self.ids = rng, ids

    # -- values -----------------------------------------------------------------------

    def text(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            return rng.choice(NASTY_TEXT)
        if roll < 0.6:
            return rng.choice("ab\x00\ud800é") * rng.choice(LENGTHS)
        if roll < 0.8:  # any code point, surrogates and controls included
            return "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(1, 12)))
        return "".join(rng.choice("abcdefgh _-.@%") for _ in range(rng.randrange(1, 20)))

    def scalar(self) -> Any:
        return self.text() if self.rng.random() < 0.6 else self.rng.choice(NASTY_NUMBERS)

    def value(self, depth: int = 0) -> Any:
        rng = self.rng
        roll = rng.random()
        if depth > 2 or roll < 0.55:
            return self.scalar()
        if roll < 0.85:
            return [self.value(depth + 1) for _ in range(rng.randrange(0, 4))]
        return {self.text(): self.value(depth + 1) for _ in range(rng.randrange(0, 3))}

    def ident(self) -> Any:
        rng = self.rng
        if rng.random() < 0.8:
            return rng.choice(self.ids)
        return rng.choice([0, -1, 2**31, 2**63, 10**30, "1", "x", None, 1.5, True])

    # -- criteria ---------------------------------------------------------------------

    def rule(self) -> Any:
        """Mostly well-formed (a field's own operator), so the values reach the database."""
        rng = self.rng
        key = rng.choice(FIELDS) if rng.random() < 0.9 else self.scalar()
        ops = OPERATORS_OF.get(TYPE_OF.get(key, ""), OPERATORS) if isinstance(key, str) \
            else OPERATORS
        rule = {"field": key,
                "op": rng.choice(ops if rng.random() < 0.8 else OPERATORS)
                if rng.random() < 0.95 else self.scalar()}
        if rng.random() < 0.9:
            rule["value"] = self._rule_value(key)
        if rng.random() < 0.1:
            rule[self.text()] = self.value()
        return rule

    def _rule_value(self, key: Any) -> Any:
        rng = self.rng
        kind = TYPE_OF.get(key) if isinstance(key, str) else None
        roll = rng.random()
        if kind == "segment" and roll < 0.7:
            return [self.ident() for _ in range(rng.randrange(0, 3))]
        if kind in ("text", "enum") and roll < 0.6:
            return self.text()
        if kind in ("number", "date") and roll < 0.6:
            return rng.choice(NASTY_NUMBERS + NASTY_TEXT[-6:])
        if roll < 0.8:
            return [self.scalar() for _ in range(rng.randrange(0, 4))]
        return self.value()

    def clean_rule(self) -> dict:
        """A rule that validates, but for one text value that may be hostile."""
        rng = self.rng
        key = rng.choice(FIELDS)
        kind = TYPE_OF[key]
        op = rng.choice(OPERATORS_OF[kind])
        rule = {"field": key, "op": op}
        if op in ("is_empty", "is_not_empty", "is_true", "is_false"):
            return rule
        good = {"text": lambda: rng.choice(["Support", "a", "%", "_", "é", self.text()]),
                "enum": lambda: rng.choice(["US", "NL", "Moderator", "Registered user"]),
                "number": lambda: rng.randrange(0, 100),
                "date": lambda: rng.choice(["2024-01-01", "2026-06-30"]),
                "multi": lambda: [rng.choice(["Beta testers", "Helpful", self.text()])],
                "segment": lambda: [self.ident()]}[kind]
        value = good()
        if op in ("in", "not_in") and not isinstance(value, list):
            value = [value]
        if op == "between":
            value = [value, value]
        if op in ("less_than_days_ago", "more_than_days_ago"):
            value = rng.randrange(0, 400)
        rule["value"] = value
        return rule

    def group(self, depth: int = 0) -> dict:
        rng = self.rng
        rules = []
        for _ in range(rng.randrange(0, 4)):
            nested = depth < 12 and rng.random() < 0.25
            made = self.clean_rule if rng.random() < 0.6 else self.rule
            rules.append(self.group(depth + 1) if nested else made())
        group = {"match": rng.choice(["all", "any"]) if rng.random() < 0.9 else self.scalar(),
                 "rules": rules}
        if rng.random() < 0.05:
            group[self.text()] = self.value()
        return group

    def criteria(self) -> Any:
        rng = self.rng
        roll = rng.random()
        if roll < 0.75:
            return self.group()
        if roll < 0.85:
            many = rng.choice([201, 1000, 5000])
            return {"match": "all", "rules": [{"field": "country", "op": "equals",
                                                "value": "US"}] * many}
        if roll < 0.9:
            return _deep_group(rng.choice([9, 50, 500]))
        return self.value()

    def criteria_text(self) -> str:
        """Criteria as JSON text, sometimes broken or absurdly deep."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.05:
            return "[" * 100_000 + "]" * 100_000
        if roll < 0.1:
            return self.text()
        return dumps(self.criteria())

    # -- calls ------------------------------------------------------------------------

    def call(self) -> Call:
        make = self.rng.choice(self.MAKERS)
        made = make(self)
        if self.rng.random() < 0.03:
            made.csrf = False
        return made

    def _query(self, **extra) -> str:
        args = {key: value for key, value in extra.items() if value is not None}
        if self.rng.random() < 0.3:
            args[self.rng.choice(["page", "per_page", "sort", "direction", self.text()])] = \
                str(self.scalar())
        return urlencode(args, errors="surrogatepass") if args else ""

    def _api_count(self) -> Call:
        if self.rng.random() < 0.5:
            return Call("GET", f"{API}/count?{self._query(criteria=self.criteria_text())}")
        return Call("POST", f"{API}/count", body=dumps({"criteria": self.criteria()}))

    def _api_members(self) -> Call:
        if self.rng.random() < 0.5:
            return Call("GET", f"{API}/members?{self._query(criteria=self.criteria_text())}")
        body = {"criteria": self.criteria()}
        for key in ("page", "per_page", "sort", "direction"):
            if self.rng.random() < 0.3:
                body[key] = self.scalar()
        return Call("POST", f"{API}/members", body=dumps(body))

    def _api_reads(self) -> Call:
        rng = self.rng
        path = rng.choice([
            "/fields", "/overview", "/segments", "/groups", "/openapi.json",
            f"/segments/{self.ident()}", f"/segments/{self.ident()}/members?{self._query()}",
            f"/segments/{self.ident()}/export.csv",
            f"/overlap?{self._query(ids=','.join(str(self.ident()) for _ in range(3)))}",
            f"/export.csv?{self._query(criteria=self.criteria_text())}"])
        return Call("GET", API + path)

    def _segment_body(self, partial: bool) -> dict:
        rng = self.rng
        body = {}
        for key, make in (("title", self._title), ("description", self.text),
                          ("group", self._group_ref), ("criteria", self.criteria),
                          ("version", self.ident)):
            if (key == "version") == partial or rng.random() < (0.5 if partial else 0.9):
                body[key] = make()
        if rng.random() < 0.05:
            body[self.text()] = self.value()
        return body

    def _title(self) -> Any:
        rng = self.rng
        rng.random()
        if rng.random() < 0.6:
            return f"Fuzz {rng.randrange(10**6)} {rng.choice(NASTY_TEXT)}"
        return self.scalar()

    def _group_ref(self) -> Any:
        rng = self.rng
        roll = rng.random()
        if roll < 0.3:
            return rng.choice(["Fuzz group", "Other group", "Fuzz group ", None])
        return self.ident() if roll < 0.8 else self.scalar()

    def _api_writes(self) -> Call:
        rng = self.rng
        sid, gid = self.ident(), self.ident()
        choices = [
            lambda: Call("POST", f"{API}/segments", dumps(self._segment_body(False)), write=True),
            lambda: Call("PATCH", f"{API}/segments/{sid}", dumps(self._segment_body(True)),
                         write=True),
            lambda: Call("POST", f"{API}/segments/{sid}/duplicate", write=True),
            lambda: Call("POST", f"{API}/segments/{sid}/move", dumps(
                {"group": self._group_ref(), "position": self.scalar()}), write=True),
            lambda: Call("POST", f"{API}/groups", dumps({"name": self._title()}), write=True),
            lambda: Call("PATCH", f"{API}/groups/{gid}", dumps({"name": self._title()}),
                         write=True),
            lambda: Call("POST", f"{API}/groups/order", dumps(
                {"ids": [self.ident() for _ in range(rng.randrange(0, 4))]}), write=True),
            lambda: Call("POST", f"{API}/segments", self.text(), write=True),
        ]
        if rng.random() < 0.05:
            choices.append(lambda: Call("DELETE", f"{API}/segments/{sid}", write=True))
            choices.append(lambda: Call("DELETE", f"{API}/groups/{gid}", write=True))
        return rng.choice(choices)()

    def _form_value(self) -> str:
        return str(self.scalar())

    def _pages(self) -> Call:
        rng = self.rng
        sid, gid = self.ident(), self.ident()
        save = {"title": str(self._title()), "description": self.text(),
                "criteria": self.criteria_text(),
                "group": rng.choice(["", "new", str(self.ident()), self.text()]),
                "new_group": rng.choice(["Fuzz group", self.text()])}
        choices = [
            lambda: Call("GET", f"{PAGES}/"),
            lambda: Call("GET", f"{PAGES}/members?{self._query(criteria=self.criteria_text())}"),
            lambda: Call("POST", f"{PAGES}/members", form=save, write=True),
            lambda: Call("POST", f"{PAGES}/preview?{self._query(segment=str(self.ident()))}",
                         dumps({"criteria": self.criteria()})),
            lambda: Call("GET", f"{PAGES}/{sid}?{self._query()}"),
            lambda: Call("POST", f"{PAGES}/{sid}", form={**save, "version": str(self.ident())},
                         write=True),
            lambda: Call("POST", f"{PAGES}/{sid}/duplicate", form={}, write=True),
            lambda: Call("GET", f"{PAGES}/{sid}/export.csv"),
            lambda: Call("POST", f"{PAGES}/groups", form={"name": str(self._title())},
                         write=True),
            lambda: Call("POST", f"{PAGES}/groups/{gid}/rename",
                         form={"name": str(self._title())}, write=True),
            lambda: Call("POST", f"{PAGES}/move", form={
                "segment": str(sid), "group": str(self._group_ref()),
                "position": self._form_value()}, write=True),
            lambda: Call("POST", f"{PAGES}/move", dumps({
                "segment": sid, "group": self._group_ref(), "position": self.scalar()}),
                write=True),
            lambda: Call("GET", f"{PAGES}/overlap?{self._query(ids=f'{sid},{gid}')}"),
            lambda: Call("GET", f"{PAGES}/overlap?{self._query(group=str(gid))}"),
            lambda: Call("GET", f"{CAMPAIGNS}/new"),
            lambda: Call("POST", f"{CAMPAIGNS}/new", form={
                "subject": self.text(), "body": self.text(),
                "audience": rng.choice([f"segment:{sid}", self.text()])}, write=True),
            lambda: Call("GET", f"/login?next={quote(self.text(), errors='surrogatepass')}"),
        ]
        if rng.random() < 0.05:
            choices.append(lambda: Call("POST", f"{PAGES}/{sid}/delete", form={}, write=True))
            choices.append(lambda: Call("POST", f"{PAGES}/groups/{gid}/delete", form={},
                                        write=True))
        return rng.choice(choices)()

    MAKERS = [_api_count, _api_members, _api_reads, _api_writes, _api_writes, _pages, _pages,
              _pages]


# Routes that must answer 200 after every accepted write: a stored value never breaks them.
SENTINELS = [f"{PAGES}/", f"{API}/segments", f"{API}/overview", f"{CAMPAIGNS}/new"]


def dumps(value: Any) -> str:
    """JSON text for any value: lone surrogates as ``\\udXXX`` escapes, NaN as ``NaN``."""
    try:
        return json.dumps(value)
    except (ValueError, RecursionError):
        return json.dumps(repr(value))


def _deep_group(depth: int) -> dict:
    group: dict = {"match": "all", "rules": []}
    for _ in range(depth):
        group = {"match": "any", "rules": [group]}
    return group
