"""Streamed CSV downloads for the pages and the API, and how values are shown in tables.

A download runs its first batch before the first byte is sent, so a query that times out
there is an ordinary 503 with ``Retry-After``. A timeout in a later batch cannot change
the status any more (200 and the header are on their way): the stream then writes a last
line ``# export incomplete: <reason>``, logs it once, and breaks the connection (the
chunked body is never terminated), so neither a person nor a program takes the file for
a whole one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from itertools import chain

from flask import Response, abort, stream_with_context

from ..errors import EvaluationError, QueryTimeout, SegmentsError
from ..export import csv_chunks
from ..state import get_state

EXPORT_BATCH = 1000
INCOMPLETE = "# export incomplete: "
log = logging.getLogger(__name__)


class ExportIncomplete(SegmentsError):
    """Raised inside a started download so the server drops the connection."""


def cell(value):
    """A value as shown in a member table: dates as YYYY-MM-DD, None as empty."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else value


def csv_download(service, criteria, name: str) -> Response:
    """Every member matching ``criteria`` as a CSV attachment, streamed in keyset batches."""
    columns = list(get_state().view.columns)
    rows = service.stream_members(criteria, batch_size=EXPORT_BATCH, columns=columns)
    try:
        first = next(rows, None)  # the first query runs now: its timeout is still a 503
    except EvaluationError as exc:
        abort(422, f"These criteria cannot be evaluated: {exc.errors['criteria'][0]}")
    rows = chain([] if first is None else [first], rows)
    filename = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "members"
    chunks = csv_chunks(rows, columns, chunk_rows=EXPORT_BATCH)  # a chunk a batch
    return Response(stream_with_context(_guarded(chunks, filename)),
                    mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})


def _guarded(chunks: Iterator[str], filename: str) -> Iterator[str]:
    try:
        yield from chunks
    except (QueryTimeout, EvaluationError) as exc:
        log.error("export %s.csv stopped part-way: %s", filename, exc)
        yield f"{INCOMPLETE}{exc}\n"
        raise ExportIncomplete(f"export {filename}.csv stopped part-way: {exc}") from None
