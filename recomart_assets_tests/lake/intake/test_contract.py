"""What a source supplies to the intake: the header contract's verdicts, the event-time window, the
folders a source owns, and :func:`whole_lines` (the CSV sources' placed records)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from recomart_assets.lake.intake.contract import EventTimeWindow, Header, HeaderContract, grouped_lines, whole_lines
from recomart_assets.lake.placing import Placement, TimeBounds, Unplaceable
from recomart_assets.lake.records import RecordChunk
from recomart_assets.sources.transactions import LANDING

CONTRACT = HeaderContract(required=("id", "at"), optional=("note",))


@pytest.mark.parametrize(("columns", "problem"), [
    (("id", "at"), None),
    (("at", "note", "id"), None),  # any order, optional columns welcome
    (("id",), "not a CSV: no comma-separated header"),
    (("foo", "bar"), "not a CSV of toy: the first line names none of the contract's columns"),
    (("id", "at", "id"), "repeated column(s): id"),
    (("id", "note"), "missing required column(s): at"),
    (("id", "at", "extra"), "unknown extra column(s): extra"),
])
def test_the_header_contract_names_what_is_wrong(columns, problem):
    assert CONTRACT.problem("toy", columns) == problem


def test_extra_columns_are_kept_when_the_contract_says_so():
    keeping = HeaderContract(required=("id", "at"), keep_extra=True)
    assert keeping.problem("toy", ("id", "at", "extra")) is None
    assert keeping.problem("toy", ("id", "extra")) == "missing required column(s): at"


def test_a_header_finds_its_columns_by_position():
    header = Header("b,a", ("b", "a"))
    assert (header.index("a"), header.index("b")) == (1, 0)


def test_whole_lines_keeps_the_records_as_received_with_their_first_and_last_lines():
    texts = ["x,1", "y,2", "zé,3"]
    chunk = RecordChunk.of_texts(texts, np.array([2, 4, 5]), [text.split(",") for text in texts])
    placed = whole_lines(chunk, [0, 2])
    assert (placed.data, placed.count, placed.first_line, placed.last_line) == ("x,1\nzé,3\n".encode(), 2, 2, 5)
    assert whole_lines(chunk, [2, 1]).data == "zé,3\ny,2\n".encode()  # in the order asked


def test_grouped_lines_cut_one_copy_into_the_groups():
    texts = ["x,1", "y,2", "zé,3", "w,4"]
    chunk = RecordChunk.of_texts(texts, np.array([2, 4, 5, 9]), [text.split(",") for text in texts])
    first, second = grouped_lines(chunk, np.array([3, 0, 2, 1]), np.array([0, 1, 4]))
    assert (first.data, first.count, first.first_line, first.last_line) == (b"w,4\n", 1, 9, 9)
    assert (second.data, second.count, second.first_line, second.last_line) == ("x,1\nzé,3\ny,2\n".encode(), 3, 2, 4)


def test_the_window_places_within_its_fixed_latest_moment():
    latest = datetime(2026, 3, 2, tzinfo=UTC)
    window = EventTimeWindow(TimeBounds(), latest)
    placements = window.place(["2026-03-01T23:30:00Z", "2026-03-02T00:00:01Z"], require_offset=True)
    inside, late = placements[0], placements[1]
    assert isinstance(inside, Placement) and (inside.day, inside.hour) == ("2026-03-01", 23)
    assert isinstance(late, Unplaceable) and late.kind == "beyond_clock_skew"
    later = EventTimeWindow(TimeBounds(), latest + timedelta(hours=1))
    assert isinstance(later.place(["2026-03-02T00:00:01Z"], require_offset=True)[0], Placement)


def test_a_source_owns_its_landing_folder_and_its_state_folders(zone):
    assert LANDING.name == "transactions"
    assert LANDING.landing_dir(zone) == zone.landing  # transactions are dropped into landing/ itself
    in_a_folder = replace(LANDING, dataset=replace(LANDING.dataset, landing_folder="toy"))
    assert in_a_folder.landing_dir(zone) == zone.landing / "toy"
    assert LANDING.state_dir(zone, "inflight") == zone.state_dir / "transactions" / "inflight"
