"""The placement helper: ``place_many`` (the landing files' vectorised path) gives ``place``'s answers
and wordings for any column of timestamp values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from recomart_assets.lake.placing import Placement, TimeBounds, Unplaceable, place, place_many

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
BOUNDS = TimeBounds(clock_skew=timedelta(hours=6), now=lambda: NOW)

moments = st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(2999, 12, 30))
offsets = st.one_of(st.just(None), st.just(UTC),
                    st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m))))


@st.composite
def iso_stamps(draw) -> str:
    """ISO 8601 strings in the shapes real files carry (and a few they should not)."""
    moment = draw(moments).replace(tzinfo=draw(offsets))
    if draw(st.booleans()):  # near the bounds, where the answers change
        moment = (NOW + draw(st.timedeltas(min_value=timedelta(days=-70), max_value=timedelta(days=2)))).replace(
            tzinfo=moment.tzinfo)
    spec = draw(st.sampled_from(["auto", "minutes", "seconds", "milliseconds", "microseconds"]))
    text = moment.isoformat(sep=draw(st.sampled_from(["T", " ", "x"])), timespec=spec)
    if text.endswith("+00:00") and draw(st.booleans()):
        text = text[:-6] + draw(st.sampled_from(["Z", "z", "-00:00", "+0000", "+00"]))
    return draw(st.sampled_from(["{}", " {} ", "{}0", "{}".upper()])).format(text)


values = st.one_of(st.none(), st.just(""), st.just("   "), iso_stamps(), st.text(max_size=30),
                   st.sampled_from(["2026-02-30T10:00:00Z", "2026-13-45T10:00:00Z", "yesterday", "20260301T100000Z",
                                    "9999-12-31T23:00:00-05:00", "2026-03-01T23:59:60Z", "2026-03-01T24:00:00Z",
                                    "2026-03-01T10:00:00.1234567Z", "2026-03-01T10:00:00,5Z"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(values, max_size=40), st.booleans())
def test_place_many_agrees_with_place(stamps, require_offset):
    latest = BOUNDS.latest()
    many = place_many(stamps, BOUNDS, require_offset=require_offset, latest=latest)
    for i, stamp in enumerate(stamps):
        assert many[i] == place(stamp, BOUNDS, require_offset=require_offset, latest=latest), stamp
    assert int(many.ok.sum()) + len(many.problems) == len(stamps)  # every value answered exactly once


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), iso_stamps()), min_size=1, max_size=40))
def test_place_many_takes_an_arrow_column_too(stamps):
    from_list = place_many(stamps, BOUNDS, require_offset=False)
    from_arrow = place_many(pa.array(stamps, pa.string()), BOUNDS, require_offset=False)
    assert [from_list[i] for i in range(len(stamps))] == [from_arrow[i] for i in range(len(stamps))]


def test_days_and_hours_follow_the_utc_moment():
    many = place_many(["2026-03-02T01:00:00+05:30", "2026-03-01T23:30:00-02:00"], BOUNDS)
    assert [str(d) for d in many.days().astype("datetime64[D]")] == ["2026-03-01", "2026-03-02"]
    assert many.hours().tolist() == [19, 1]
    assert many[0] == Placement(datetime(2026, 3, 1, 19, 30, tzinfo=UTC))


def test_values_that_are_not_strings_are_answered_one_by_one():
    many = place_many([1234, "2026-03-01T10:00:00Z"], BOUNDS)
    assert many[0] == Unplaceable("timestamp_not_a_string", "timestamp is not a string: 1234")
    assert many[1] == Placement(datetime(2026, 3, 1, 10, tzinfo=UTC))


def test_a_moment_that_leaves_the_calendar_in_utc_is_unparseable_not_a_crash():
    assert place("9999-12-31T23:00:00-05:00", BOUNDS).kind == "unparseable_timestamp"
