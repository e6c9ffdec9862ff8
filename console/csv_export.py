"""Report tables as open-data CSV: a header row, ISO dates, plain numbers, and no cell a spreadsheet would run.

A text cell starting with = + - @ (or a tab or carriage return, which some spreadsheets skip before them) could be
taken for a formula when the file is opened (CSV injection): such a cell is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """One value as CSV text: ISO for dates, nothing for a missing figure, and no formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The whole file: the header row, then each row (RFC 4180: CRLF line ends, quotes where needed)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()
