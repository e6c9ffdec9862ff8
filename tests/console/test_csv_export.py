"""Open-data CSV: a header row, ISO dates, empty for no figure, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io

from console.csv_export import cell, to_csv


def test_a_file_is_a_header_then_rows_with_iso_dates():
    body = to_csv(["date", "calls", "rate"], [(dt.date(2026, 11, 17), 12, 0.5), (dt.date(2026, 11, 18), 0, None)])
    assert body == "date,calls,rate\r\n2026-11-17,12,0.5\r\n2026-11-18,0,\r\n"


def test_formula_starts_are_escaped_and_read_back_as_text():
    for hostile in ("=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")'):
        assert cell(hostile) == "'" + hostile
    assert cell("a = b") == "a = b" and cell(-3) == "-3"  # a number is a number; '=' inside text is harmless
    body = to_csv(["question"], [['=cmd|" /C calc"!A0'], ["plain, with a comma"]])
    rows = list(csv.reader(io.StringIO(body)))
    assert rows == [["question"], ['\'=cmd|" /C calc"!A0'], ["plain, with a comma"]]
