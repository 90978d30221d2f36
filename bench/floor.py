"""The floor: the best single scan an engineer would write by hand for the same segments.

Every distinct condition is written once, as SQL for these tables, in a derived table of
0/1 columns computed once per member (fenced with ``OFFSET 0`` so no database copies it
into each count); the multi-valued fields are joined once each, as one row per member
with a flag per tag (``GROUP BY member_id``); then each segment is one
``count(*) FILTER (WHERE ...)`` (PostgreSQL) or ``SUM(CASE ...)`` (SQLite) over those
columns. One scan, nothing counted twice: what the engine is measured against.

The conditions mean what the compiled ones mean (case-insensitive text, negatives that
match empty values, "less than N days ago" as ``>= now - N days``); ``bench/run.py``
checks the floor's counts equal the engine's before timing anything.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from community_segments.types import UTCDateTime

MULTI = {  # field -> (link table, tag table, tag column)
    "groups": ("member_groups", "groups", "group_id"),
    "badges": ("member_badges", "badges", "badge_id"),
    "custom_roles": ("member_custom_roles", "custom_roles", "custom_role_id"),
}
TEXT = {"email", "job_title", "department", "country", "primary_role"}
DATES = {"signed_up", "last_activity"}


def _quoted(value) -> str:
    text = str(value).lower()
    if "'" in text or "%" in text or "_" in text:
        raise ValueError(f"the hand floor keeps to plain benchmark values, not {value!r}")
    return f"'{text}'"


class Floor:
    """Hand SQL for benchmark criteria: distinct conditions as columns, segments over them."""

    def __init__(self, now: datetime, dialect: str):
        self.now, self.dialect = now, dialect
        self.columns: dict[str, str] = {}  # hand SQL of a condition -> its column name
        self.tags: dict[str, dict[str, str]] = {name: {} for name in MULTI}  # tag -> column
        self.params: dict[str, datetime] = {}

    def segment(self, node: dict) -> str:
        if "rules" in node:
            parts = [self.segment(child) for child in node["rules"]]
            if not parts:
                return "1 = 1"
            return "(" + (" AND " if node["match"] == "all" else " OR ").join(parts) + ")"
        return f"{self._column(self._condition(node))} = 1"

    def _column(self, sql: str) -> str:
        return self.columns.setdefault(sql, f"c{len(self.columns)}")

    def _condition(self, rule: dict) -> str:
        field, op, value = rule["field"], rule["op"], rule.get("value")
        if field in MULTI:
            return self._multi(field, op, value)
        if field in DATES:
            cutoff = f"d{len(self.params)}"
            self.params[cutoff] = self.now - timedelta(days=value)
            recent = f"{field} >= :{cutoff}"
            return recent if op == "less_than_days_ago" else f"({field} IS NULL OR NOT {recent})"
        column = f"lower({field})" if field in TEXT else field
        simple = {"equals": "=", "gte": ">=", "lte": "<=", "gt": ">", "lt": "<"}
        literal = _quoted if field in TEXT else int
        if op in simple:
            return f"{column} {simple[op]} {literal(value)}"
        if op == "in":
            return f"{column} IN ({', '.join(literal(v) for v in value)})"
        if op == "between":
            return f"{column} BETWEEN {literal(value[0])} AND {literal(value[1])}"
        if op == "contains":
            return f"{column} LIKE '%' || {_quoted(value)} || '%'"
        if op == "not_equals":
            return f"({field} IS NULL OR {column} <> {literal(value)})"
        if op == "not_contains":
            return f"({field} IS NULL OR {column} NOT LIKE '%' || {_quoted(value)} || '%')"
        raise ValueError(f"no hand SQL for {field} {op}")

    def _multi(self, field: str, op: str, value) -> str:
        if self.dialect == "sqlite":  # index probes per member: SQLite's fastest form
            return self._exists(field, op, value)
        alias = f"j_{field}"
        if op in ("is_empty", "is_not_empty"):
            return f"{alias}.member_id IS {'' if op == 'is_empty' else 'NOT '}NULL"
        if op == "has_none":
            return f"coalesce({alias}.{self._tag(field, tuple(value))}, 0) = 0"
        flags = [f"{alias}.{self._tag(field, tuple(value) if op == 'has_any' else (v,))} = 1"
                 for v in (value if op == "has_all" else [None])]
        return " AND ".join(flags)

    def _exists(self, field: str, op: str, value) -> str:
        link, tags, column = MULTI[field]
        if op in ("is_empty", "is_not_empty"):
            any_row = f"EXISTS (SELECT 1 FROM {link} l WHERE l.member_id = members.id)"
            return f"NOT {any_row}" if op == "is_empty" else any_row
        if op == "has_none":
            return f"NOT {self._exists(field, 'has_any', value)}"
        groups = [value] if op == "has_any" else [[v] for v in value]
        return " AND ".join(
            f"EXISTS (SELECT 1 FROM {link} l JOIN {tags} t ON t.id = l.{column} WHERE "
            f"l.member_id = members.id AND lower(t.name) IN ({', '.join(map(_quoted, names))}))"
            for names in groups)

    def _tag(self, field: str, names: tuple) -> str:
        key = ", ".join(_quoted(n) for n in sorted(names))
        return self.tags[field].setdefault(key, f"t{len(self.tags[field])}")

    def query(self, segments: list[dict]) -> sa.TextClause:
        """One row: the member count of each segment."""
        dialect = self.dialect
        wheres = [self.segment(node) for node in segments]
        columns = ", ".join(f"CASE WHEN {sql} THEN 1 ELSE 0 END AS {name}"
                            for sql, name in self.columns.items())
        joins = "".join(self._join(field) for field in MULTI
                        if f"j_{field}." in " ".join(self.columns))
        if dialect == "postgresql":
            counts = [f"count(*) FILTER (WHERE {w})" for w in wheres]
        else:
            counts = [f"coalesce(sum(CASE WHEN {w} THEN 1 ELSE 0 END), 0)" for w in wheres]
        sql = (f"SELECT {', '.join(counts)} FROM (SELECT {columns} FROM members{joins} "
               f"{'OFFSET 0' if dialect == 'postgresql' else 'LIMIT -1 OFFSET 0'}) flags")
        query = sa.text(sql)
        used = [name for name in self.params if f":{name}" in sql]
        return query.bindparams(*(sa.bindparam(n, self.params[n], type_=UTCDateTime)
                                  for n in used))

    def _join(self, field: str) -> str:
        link, tags, column = MULTI[field]
        flags = "".join(f", max(CASE WHEN lower(t.name) IN ({names}) THEN 1 ELSE 0 END) AS {name}"
                        for names, name in self.tags[field].items())
        return (f" LEFT JOIN (SELECT l.member_id{flags} FROM {link} l JOIN {tags} t "
                f"ON t.id = l.{column} GROUP BY l.member_id) j_{field} "
                f"ON j_{field}.member_id = members.id")


def floor_query(segments: list[dict], now: datetime, dialect: str) -> sa.TextClause:
    """The hand-written single scan counting each of ``segments`` (criteria dicts)."""
    return Floor(now, dialect).query(segments)
