"""CSV export: rows streamed as they come from the database, a few hundred at a time."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

CHUNK_ROWS = 500
FORMULA_STARTS = ("=", "+", "-", "@")


def cell(value):
    """A value as shown and exported: dates as YYYY-MM-DD, None as empty."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else value


def csv_lines(columns: list[str], rows: Iterable[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for number, row in enumerate(rows, 1):
        writer.writerow(_safe(cell(row.get(c))) for c in columns)
        if number % CHUNK_ROWS == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _safe(value):
    """Spreadsheets run cells starting with = + - @ as formulas; quote them."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
