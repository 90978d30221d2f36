"""Members as CSV or JSON text, produced chunk by chunk so any size streams in bounded memory."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime


def plain(value):
    """A JSON/CSV-friendly value: ISO dates, everything else as is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def csv_chunks(rows: Iterable[dict], columns: Sequence[str]) -> Iterator[str]:
    """The header, then one CSV line per member."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writeheader()
    yield take()
    for row in rows:
        writer.writerow({k: "" if v is None else plain(v) for k, v in row.items()})
        yield take()


def json_array_chunks(rows: Iterable[dict]) -> Iterator[str]:
    """One JSON array of member objects, one member per chunk."""
    yield "["
    for index, row in enumerate(rows):
        yield ("," if index else "") + "\n" + json.dumps(row, default=plain)
    yield "\n]\n"
