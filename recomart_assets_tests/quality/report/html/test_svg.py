"""The inline SVG charts: well-formed, bars in proportion to the values, every label escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from recomart_assets.quality.report.html import svg

NS = {"s": "http://www.w3.org/2000/svg"}
HOSTILE = '<script>alert(1)</script>"onload="x'


def parsed(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # raises on anything that is not well-formed XML


def test_bar_heights_are_in_proportion_and_labels_escaped():
    root = parsed(svg.bar_chart(["web", HOSTILE, "ios"], [10, 5, 0], "devices"))
    heights = [float(r.get("height")) for r in root.findall("s:rect", NS)]
    assert heights[0] == pytest.approx(2 * heights[1]) and heights[2] == 0
    assert root.find(".//s:script", NS) is None
    assert not [e for e in root.iter() if any(k.lower().startswith("on") for k in e.attrib)]
    assert HOSTILE in [r.find("s:title", NS).text.split(": ")[0] for r in root.findall("s:rect", NS)]


def test_histogram_has_one_bar_per_bin():
    root = parsed(svg.histogram_chart([0, 1, 2, 4], [3, 6, 0], "price"))
    rects = root.findall("s:rect", NS)
    assert len(rects) == 3 and float(rects[1].get("height")) == pytest.approx(2 * float(rects[0].get("height")))


def test_horizontal_bars_escape_labels_and_draw_missing_values_as_zero():
    root = parsed(svg.hbar_chart([HOSTILE, "b"], [None, 50.0], "missing", unit="%",
                                 colours=['red"/><script>x</script>', "#000"]))
    assert root.find(".//s:script", NS) is None
    widths = [float(r.get("width")) for r in root.findall("s:rect", NS)]
    assert widths[0] == 0 and widths[1] > 0
    assert "50%" in [t.text for t in root.findall("s:text", NS)]


def test_lines_and_empty_charts():
    root = parsed(svg.line_chart(["01-01", "01-02"], {HOSTILE: [1, 2], "b": [float("inf"), 2]}, "rows"))
    assert len(root.findall("s:polyline", NS)) == 2
    assert HOSTILE[:svg.LABEL_CHARS - 1] in "".join(t.text or "" for t in root.findall("s:text", NS))
    for empty in (svg.bar_chart([], [], "x"), svg.histogram_chart([0], [], "x"), svg.line_chart([], {}, "x")):
        assert "no data" in str(empty) and parsed(empty) is not None
