"""Typed configuration, read from ``app.config`` in one place (:meth:`SegmentsConfig.load`).

Every key is optional. A host adapter passes its own defaults (FlaskBB: its management
layout and login view); a key set in ``app.config`` wins over them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

STANDALONE_LAYOUT = "community_segments/standalone.html"

# app.config key -> SegmentsConfig attribute
KEYS = {
    "SEGMENTS_URL_PREFIX": "url_prefix",
    "SEGMENTS_BIND_KEY": "bind_key",
    "SEGMENTS_STATEMENT_TIMEOUT_MS": "statement_timeout_ms",
    "SEGMENTS_PER_PAGE": "per_page",
    "SEGMENTS_LAYOUT": "layout",
    "SEGMENTS_LOGIN_ENDPOINT": "login_endpoint",
    "SEGMENTS_MAX_REQUEST_BYTES": "max_request_bytes",
    "SEGMENTS_HISTORY_RETENTION_DAYS": "history_retention_days",
    "SEGMENTS_REFRESH_LOCK_WAIT": "refresh_lock_wait",
    "SEGMENTS_OUTBOX_LEASE": "outbox_lease",
    "SEGMENTS_COUNTS_MAX_AGE": "counts_max_age",
}


@dataclass(frozen=True)
class SegmentsConfig:
    """What an app configures about segments; see the README's "Configuration" table.

    ``per_page`` is a number, or a callable the host uses to read its own setting per
    request (FlaskBB's plugin settings).
    """

    url_prefix: str = "/admin/segments"
    bind_key: str | None = None
    statement_timeout_ms: int | None = 30_000
    per_page: int | Callable[[], int] = 25
    layout: str = STANDALONE_LAYOUT
    login_endpoint: str | None = None
    max_request_bytes: int = 1024 * 1024  # a larger body is a 413 before it is parsed
    history_retention_days: int = 90  # entered/left ids kept (history points: for good)
    refresh_lock_wait: float = 300.0  # seconds a refresh waits for another one's lock
    outbox_lease: float = 600.0  # seconds before a dead sender's signals are sent again
    counts_max_age: int = 0  # seconds overview counts may be served from the host's cache

    @classmethod
    def load(cls, config: Mapping[str, Any], **host_defaults: Any) -> SegmentsConfig:
        """The configuration of an app: its ``SEGMENTS_*`` keys over the host's defaults."""
        known = {f.name for f in fields(cls)}
        unknown = set(host_defaults) - known
        if unknown:
            raise TypeError(f"unknown segments settings {sorted(unknown)}; use {sorted(known)}")
        values = dict(host_defaults)
        values.update({attr: config[key] for key, attr in KEYS.items() if key in config})
        if "statement_timeout_ms" in values:  # 0 or None: no timeout
            values["statement_timeout_ms"] = int(values["statement_timeout_ms"] or 0) or None
        if "counts_max_age" in values:
            values["counts_max_age"] = _seconds("SEGMENTS_COUNTS_MAX_AGE", values["counts_max_age"])
        return cls(**values)

    def rows_per_page(self) -> int:
        return self.per_page() if callable(self.per_page) else self.per_page


def _seconds(key: str, value: Any) -> int:
    """A whole number of seconds, 0 or more (0 or None: off)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{key} must be a whole number of seconds, 0 or more; got {value!r}")
    return value
