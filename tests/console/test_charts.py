"""Bar charts as SVG: well-formed, described for screen readers, bars proportional to their values, text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from console.charts import axis_top, bar_chart

NS = "{http://www.w3.org/2000/svg}"


def _chart(bars, **options) -> ET.Element:
    svg = bar_chart(
        chart_id="c",
        title="Contacts by day",
        description="A bar per day.",
        bars=bars,
        x_label="Day",
        y_label="Contacts",
        **options,
    )
    return ET.fromstring(str(svg))


def test_a_chart_is_well_formed_and_says_what_it_shows():
    svg = _chart([("Mon", 3), ("Tue", 12)])
    assert svg.tag == f"{NS}svg" and svg.get("role") == "img"
    labelled = svg.get("aria-labelledby").split()
    ids = {el.get("id"): el for el in svg.iter() if el.get("id")}
    assert [ids[i].tag for i in labelled] == [f"{NS}title", f"{NS}desc"]
    assert ids["c-title"].text == "Contacts by day"
    assert ids["c-desc"].text == "A bar per day. Highest: Tue, 12."
    texts = [t.text for t in svg.iter(f"{NS}text")]
    assert "Day" in texts and "Contacts" in texts  # both axes labelled
    assert "Mon" in texts and "Tue" in texts and "20" in texts  # the bars' labels, the axis's top
    assert [r.find(f"{NS}title").text for r in svg.iter(f"{NS}rect")] == ["Mon: 3", "Tue: 12"]


def test_bars_are_proportional_to_their_values():
    bars = _chart([("a", 1), ("b", 2), ("c", 7), ("d", 0)]).findall(f"{NS}rect")
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.01)
    assert heights[2] == pytest.approx(7 * heights[0], abs=0.01)
    assert heights[3] == 0
    bottoms = {round(float(b.get("y")) + float(b.get("height")), 1) for b in bars}
    assert len(bottoms) == 1  # every bar stands on the axis
    lefts = [float(b.get("x")) for b in bars]
    assert lefts == sorted(lefts)  # in the order given


def test_the_axis_top_is_a_round_number_at_or_above_the_largest_bar():
    assert [axis_top(v) for v in (0, 1, 3, 7, 12, 20, 99, 101, 4500)] == [1, 1, 5, 10, 20, 20, 100, 200, 5000]
    top_bar = _chart([("a", 12), ("b", 20)]).findall(f"{NS}rect")[1]
    assert float(top_bar.get("y")) == pytest.approx(20, abs=0.01)  # 20 of 20: the full plot height from the top


def test_the_axis_counts_in_whole_numbers():
    def ticks(top_value):
        return [t.text for t in _chart([("a", top_value)]).iter(f"{NS}text") if t.get("class") == "tick"]

    assert ticks(4) == ["0", "5"]  # not 2.5
    assert ticks(12) == ["0", "10", "20"]


def test_nothing_to_show_still_draws_empty_axes():
    svg = _chart([("a", 0), ("b", 0)])
    assert all(float(r.get("height")) == 0 for r in svg.iter(f"{NS}rect"))
    assert svg.find(f"{NS}desc").text == "A bar per day."  # no "highest" of nothing


def test_hostile_labels_and_titles_are_text_not_markup():
    hostile = '</text><script>alert(1)</script>" onload="alert(2)'
    svg = bar_chart(
        chart_id='x" onload="y',
        title=hostile,
        description=hostile,
        bars=[(hostile, 1)],
        x_label=hostile,
        y_label=hostile,
    )
    assert "<script>" not in str(svg) and 'onload="alert' not in str(svg)
    root = ET.fromstring(str(svg))
    assert root.find(f"{NS}title").text == hostile  # read back as the words they were
    assert not list(root.iter(f"{NS}script")) and root.get("onload") is None


def test_many_bars_label_every_nth():
    svg = _chart([(f"{h:02d}", h) for h in range(24)], label_every=3)
    labels = [t.text for t in svg.iter(f"{NS}text") if t.get("class") == "label"]
    assert labels == ["00", "03", "06", "09", "12", "15", "18", "21"]
    assert not [t for t in svg.iter(f"{NS}text") if t.get("class") == "value"]  # too many to carry values
