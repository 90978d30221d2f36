"""Members as CSV or JSON text, produced chunk by chunk so any size streams in bounded memory.

Used by the CLI, the pages and the API alike.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime

CHUNK_ROWS = 500
# Spreadsheets run cells starting with these as formulas.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain(value):
    """A JSON/CSV-friendly value: ISO dates, everything else as is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def csv_cell(value):
    """A value as a CSV cell: empty for None, ISO dates, formulas quoted so they show, not run."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return plain(value)


def csv_chunks(rows: Iterable[dict], columns: Sequence[str],
               chunk_rows: int = CHUNK_ROWS) -> Iterator[str]:
    """The header, then the members, ``chunk_rows`` lines a chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for number, row in enumerate(rows, 1):
        writer.writerow([csv_cell(row.get(column)) for column in columns])
        if number % chunk_rows == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def json_array_chunks(rows: Iterable[dict]) -> Iterator[str]:
    """One JSON array of member objects, one member per chunk."""
    yield "["
    for index, row in enumerate(rows):
        yield ("," if index else "") + "\n" + json.dumps(row, default=plain)
    yield "\n]\n"
