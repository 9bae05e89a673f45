"""The numpy reader of the common ISO 8601 shapes: what it reads, it reads as ``datetime.fromisoformat``
does; what it leaves, the exact path of ``place_many`` decides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from recomart_assets.lake import arrow
from recomart_assets.lake.isotimes import common_shapes
from recomart_assets.lake.placing import to_micros

moments = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))
zones = st.one_of(st.just(None), st.just(UTC),
                  st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m))))


@st.composite
def near_misses(draw) -> str:
    """A timestamp of one of the common shapes, maybe with one character changed (digits out of range,
    a wrong separator, a 30th of February ...)."""
    moment = draw(moments).replace(tzinfo=draw(zones))
    text = moment.isoformat(sep=draw(st.sampled_from("T ")),
                            timespec=draw(st.sampled_from(["seconds", "milliseconds", "microseconds"])))
    if text.endswith("+00:00") and draw(st.booleans()):
        text = text[:-6] + "Z"
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + draw(st.sampled_from("0123456789:-+TZ x/")) + text[at + 1:]
    return text


def expected(text: str, naive: bool) -> int | None:
    """UTC microseconds as ``fromisoformat`` reads ``text`` (naive = UTC), or None."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.utcoffset() is None:
        if not naive:
            return None
        moment = moment.replace(tzinfo=UTC)
    try:
        return to_micros(moment.astimezone(UTC))
    except OverflowError:
        return None


@settings(max_examples=300, deadline=None)
@given(st.lists(near_misses(), max_size=30), st.booleans())
def test_whatever_it_reads_it_reads_as_fromisoformat(texts, naive):
    micros, read = common_shapes(arrow.texts(texts), naive=naive)
    for text, value, was_read in zip(texts, micros.tolist(), read.tolist(), strict=True):
        if was_read:
            assert value == expected(text, naive), text


def test_it_reads_the_common_shapes_and_leaves_the_rest():
    texts = ["2026-03-01T12:34:56Z", "2026-03-01 00:00:15+05:30", "2024-02-29T23:59:59-00:30", "2026-03-01T12:34:56",
             "2026-03-01T12:34:56.789Z", "2026-03-01T12:34:56.000123+05:30", "2026-03-01T12:34:56.250",
             "2026-02-29T10:00:00Z", "2026-03-01T12:34Z", "2026-03-01T12:34:56.5Z", "2026-03-01T12:34:56.12345Z",
             "2026-03-01T12:34:56,789Z", "2026-03-01T12:34:56.78xZ", "0999-03-01T12:34:56Z", "x" * 20]
    micros, read = common_shapes(arrow.texts(texts), naive=True)
    assert read.tolist() == [True] * 7 + [False] * 8
    assert micros[:7].tolist() == [expected(text, True) for text in texts[:7]]
    assert common_shapes(arrow.texts(texts[3:4]), naive=False)[1].tolist() == [False]  # naive only where allowed
