"""How the member model is read: its id, the columns shown and sorted, the member base."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa


@dataclass(frozen=True)
class MemberView:
    """The columns of a member row as shown, exported and sent to campaigns.

    ``columns`` maps output names to SQL expressions; ``id``, ``username`` and ``email``
    are required. ``sortable`` names the columns members can be sorted by (default:
    every column shown, so a table header is never a dead end). ``base``
    restricts who counts as a member at all (e.g. to leave guests out).
    """

    model: Any
    columns: Mapping[str, sa.ColumnElement]
    sortable: tuple[str, ...] | None = None
    base: sa.ColumnElement[bool] | None = None
    name_column: str = "username"

    def __post_init__(self):
        missing = {"id", "username", "email"} - set(self.columns)
        if missing:
            raise ValueError(f"member columns lack {sorted(missing)}")
        wanted = self.columns if self.sortable is None else self.sortable
        object.__setattr__(self, "sortable", tuple(s for s in wanted if s in self.columns))

    @property
    def id(self) -> sa.ColumnElement:
        return self.columns["id"]

    @classmethod
    def for_model(cls, model, **names: str) -> MemberView:
        """Columns found on ``model`` by name; ``names`` maps output name -> attribute."""
        wanted = {"id": "id", "username": "username", "email": "email",
                  "signed_up": "signed_up", "last_activity": "last_activity", **names}
        columns = {out: getattr(model, attr) for out, attr in wanted.items()
                   if attr and hasattr(model, attr)}
        return cls(model=model, columns=columns)

    def where_member(self, condition):
        return condition if self.base is None else sa.and_(self.base, condition)
