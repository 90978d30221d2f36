"""Streamed CSV downloads for the pages and the API, and how values are shown in tables."""

from __future__ import annotations

import re

from flask import Response, stream_with_context

from ..export import csv_chunks
from ..state import get_state

EXPORT_BATCH = 1000


def cell(value):
    """A value as shown in a member table: dates as YYYY-MM-DD, None as empty."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else value


def csv_download(service, criteria, name: str) -> Response:
    """Every member matching ``criteria`` as a CSV attachment, streamed in keyset batches."""
    columns = list(get_state().view.columns)
    rows = service.stream_members(criteria, batch_size=EXPORT_BATCH, columns=columns)
    filename = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "members"
    return Response(stream_with_context(csv_chunks(rows, columns)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})
