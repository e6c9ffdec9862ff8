"""bench/load.py --quick: whole scripted calls and texts at a low rate, every answer checked, the report written.

It proves the load generator works (its residents hear what the scenarios say they should, its table, CSV and chart
come out); it measures nothing: timing belongs to the benchmark itself, never to a test.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

from settings import ROOT


def test_quick_load_plays_checked_calls_and_texts_and_writes_its_report(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), "--quick", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    out = done.stdout
    assert "Question by speech (English)" in out and "Text a question (English)" in out  # calls and texts in the mix
    assert out.count("bare Starlette") == 2 and "ours/bare at this rate: p50" in out
    played = [int(line.split()[1]) for line in out.splitlines() if line.strip().startswith("residents:")]
    assert len(played) == 2 and sum(played) > 0
    assert all(line.strip().endswith(" 0 failed") for line in out.splitlines() if line.strip().startswith("residents:"))
    assert "memory (RSS MB)" in out and "web 1" in out
    # The sizing counts all that shares the cores: the load generator, and PostgreSQL when it runs on this machine.
    sizing = [line for line in out.splitlines() if "server CPU per webhook" in line]
    assert len(sizing) == 2 and all("the load generator" in line and "all of ours together" in line for line in sizing)
    local_postgres = os.environ.get("DATABASE_URL", "").startswith("postgresql") and "127.0.0.1" in os.environ.get(
        "DATABASE_URL", "")
    assert all((", PostgreSQL " in line) == local_postgres for line in sizing)
    with (tmp_path / "load.csv").open() as rows:
        table = [row for row in csv.reader(rows) if row]
    steps = {(row[0], row[1]): row for row in table[1:] if row[0] in ("20", "40")}
    for rate in ("20", "40"):
        assert int(steps[(rate, "all webhooks")][2]) > 0 and steps[(rate, "all webhooks")][7] == "0"
        assert int(steps[(rate, "bare Starlette")][2]) > 0
    chart = ET.parse(tmp_path / "load.svg").getroot()
    assert chart.find("{http://www.w3.org/2000/svg}title").text.startswith("Webhook latency under load")
    assert len(chart.findall(".//{http://www.w3.org/2000/svg}polyline")) == 4
