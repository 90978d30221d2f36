"""What a field provider knows about the host it runs in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Host:
    """The host application as seen by providers: its name, member model and database.

    ``name`` is "demo", "flaskbb" or "generic" for the built-in hosts.
    """

    name: str
    user_model: Any
    db: Any = None
