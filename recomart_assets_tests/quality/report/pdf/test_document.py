"""The written PDF, read back from its bytes: no text of any page lies outside the page, and names
that look like mathtext are drawn as the text they are."""

from __future__ import annotations

import pytest
from upath import UPath

from recomart_assets.lake import RawZone
from recomart_assets.quality import write_quality_report
from recomart_assets_tests.fixtures.pdf_text import runs_outside_page, text_runs
from recomart_assets_tests.fixtures.quality import DAY, HOSTILE_NAMES, add_hostile_names, build_fixture_zone


@pytest.fixture(scope="module")
def hostile_pdf(tmp_path_factory) -> bytes:
    """A report of the fixture day with hostile column names (long, markup, ``$``), after an earlier day
    (the trends page has two partitions)."""
    zone = RawZone(UPath(tmp_path_factory.mktemp("pdf") / "raw_zone"))
    zone.create_tree()
    build_fixture_zone(zone)
    add_hostile_names(zone)
    write_quality_report(zone, "2026-01-04")
    return write_quality_report(zone, DAY).pdf_path.read_bytes()


def test_no_text_of_any_page_lies_outside_the_page(hostile_pdf):
    runs, boxes = text_runs(hostile_pdf)
    assert len(boxes) >= 10 and len({run.page for run in runs}) == len(boxes)  # every page has text, all read
    assert runs_outside_page(hostile_pdf) == []


def test_the_what_changed_subtitle_fits(hostile_pdf):
    runs, boxes = text_runs(hostile_pdf)
    subtitle = [run for run in runs if run.page == 2 and "acknowledged;" in run.text]
    assert subtitle, "the What changed page's subtitle was not found"
    assert all(run.box[2] <= boxes[1][2] for run in subtitle)


def test_dollar_signs_in_names_are_text_not_math(hostile_pdf):
    texts = [run.text for run in text_runs(hostile_pdf)[0]]
    assert HOSTILE_NAMES[2] in texts  # one run, as written: mathtext would draw x and 2 as separate glyph runs
