"""Where a record belongs: its UTC day and hour, or the reason it has none.

One helper for every source that places records by time (the Kafka consumer, clickstream CSV
exports, the transactions splitter), so "this record cannot be placed" is worded once and the
event-time bounds hold everywhere:

* a timestamp must be an ISO 8601 string; with ``require_offset`` (clickstream) it must carry a UTC
  offset, otherwise (transactions) a naive time is taken as UTC;
* it must not fall before the first partition (:data:`~recomart_assets.datasets.PARTITION_START`)
  nor later than now plus the allowed clock skew: such a record goes to quarantine with its reason
  and never moves a watermark (an app with a wrong clock must not close today).

:func:`place_many` places a column of timestamps at once (the landing files' fast path): the
three shapes files write are read from their bytes by numpy (:mod:`~recomart_assets.lake.isotimes`),
the other ISO 8601 shapes Arrow reads as ``fromisoformat`` does are cast by Arrow, everything else
goes through :func:`place` value by value, and out-of-bounds reasons come from
:meth:`TimeBounds.problem`, so its answers and wordings are :func:`place`'s own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from recomart_assets.datasets import PARTITION_START

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

DEFAULT_CLOCK_SKEW = timedelta(hours=6)
_FIRST = datetime.fromisoformat(PARTITION_START).replace(tzinfo=UTC)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Placement:
    """A placed record: its moment in UTC, and the partition day and hour that follow from it."""

    moment: datetime

    @property
    def day(self) -> str:
        """The UTC date of the moment as ``YYYY-MM-DD``: the daily partition the record belongs to."""
        return self.moment.date().isoformat()

    @property
    def hour(self) -> int:
        """The UTC hour (0-23) of the moment within :attr:`day`, for the sources that write a file per hour."""
        return self.moment.hour


@dataclass(frozen=True, slots=True)
class Unplaceable:
    """A record that cannot be placed: ``kind`` for counting, ``reason`` for the quarantine record."""

    kind: str
    reason: str


@dataclass(frozen=True)
class TimeBounds:
    """The event times that can be placed: from the first partition to now + ``clock_skew``."""

    clock_skew: timedelta = DEFAULT_CLOCK_SKEW
    first: datetime = _FIRST
    now: Callable[[], datetime] = field(default=_utc_now, compare=False)

    def latest(self) -> datetime:
        """The latest placeable moment: now plus ``clock_skew``; read once per batch or column and passed as
        ``latest`` so every record of it is judged against the same clock."""
        return self.now() + self.clock_skew

    def problem(self, moment: datetime, latest: datetime | None = None) -> Unplaceable | None:
        """Why an aware ``moment`` is out of bounds, or None; pass ``latest`` to reuse one clock reading."""
        if moment < self.first:
            return Unplaceable("before_first_partition", f"timestamp {moment.isoformat()} before the first "
                               f"partition {self.first.date().isoformat()}")
        limit = self.latest() if latest is None else latest
        if moment > limit:
            return Unplaceable("beyond_clock_skew", f"timestamp {moment.isoformat()} later than now + the allowed "
                               f"clock skew ({_skew_text(self.clock_skew)}, until {limit.isoformat(timespec='seconds')})")
        return None


def _skew_text(skew: timedelta) -> str:
    seconds = int(skew.total_seconds())
    return f"{seconds // 3600} h" if seconds % 3600 == 0 else f"{seconds} s"


def parse_moment(stamp: object, *, require_offset: bool = True) -> datetime | Unplaceable:
    """The UTC moment of a timestamp value, or why it has none (bounds not applied)."""
    if stamp is None or (isinstance(stamp, str) and not stamp.strip()):
        return Unplaceable("missing_timestamp", "missing timestamp")
    if not isinstance(stamp, str):
        return Unplaceable("timestamp_not_a_string", f"timestamp is not a string: {stamp!r}")
    try:
        moment = datetime.fromisoformat(stamp.strip())
    except ValueError:
        return Unplaceable("unparseable_timestamp", f"unparseable timestamp: {stamp!r}")
    if moment.utcoffset() is None:
        if require_offset:
            return Unplaceable("timestamp_without_offset", f"timestamp without UTC offset: {stamp!r}")
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00:00-05:00: in UTC past the last representable year
        return Unplaceable("unparseable_timestamp", f"unparseable timestamp: {stamp!r} (out of range in UTC)")


def place(stamp: object, bounds: TimeBounds, *, require_offset: bool = True,
          latest: datetime | None = None) -> Placement | Unplaceable:
    """The placement of one record's timestamp value, or why it has none."""
    moment = parse_moment(stamp, require_offset=require_offset)
    if isinstance(moment, Unplaceable):
        return moment
    return bounds.problem(moment, latest) or Placement(moment)


# The shapes Arrow casts exactly as ``datetime.fromisoformat`` reads them (RE2 syntax): years
# 1000-2999, real months, days and times, up to six fraction digits, ``Z`` or ``+HH:MM``. Arrow
# rejects impossible dates (02-30) itself; those, and every other shape, go through ``place``.
_DATE_TIME = (r"^[12][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]"
              r"(:[0-5][0-9](\.[0-9]{1,6})?)?")
_ZONED = _DATE_TIME + r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
_NAIVE = _DATE_TIME + "$"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROS_PER_DAY = 86_400_000_000
MICROS_PER_HOUR = 3_600_000_000


def to_micros(moment: datetime) -> int:
    """Microseconds since 1970-01-01 UTC of an aware moment."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_micros(micros: int) -> datetime:
    """The aware UTC moment of ``micros`` microseconds since the epoch (the inverse of :func:`to_micros`)."""
    return _EPOCH + timedelta(microseconds=int(micros))


@dataclass(frozen=True)
class Placements:
    """The placements of a column of timestamps, by position.

    ``micros`` (int64, UTC microseconds since the epoch) is meaningful where ``ok`` is true; every
    other position has its :class:`Unplaceable` in ``problems``.
    """

    micros: np.ndarray
    ok: np.ndarray
    problems: dict[int, Unplaceable]

    def days(self) -> np.ndarray:
        """Days since 1970-01-01 (UTC) of each moment."""
        return self.micros // MICROS_PER_DAY

    def hours(self) -> np.ndarray:
        """Hour of the UTC day (0-23) of each moment."""
        return (self.micros // MICROS_PER_HOUR) % 24

    def __getitem__(self, i: int) -> Placement | Unplaceable:
        """The placement at position ``i`` as :func:`place` would give it: a :class:`Placement`, or its
        :class:`Unplaceable` where ``ok`` is false."""
        return Placement(from_micros(self.micros[i])) if self.ok[i] else self.problems[i]


def _cast(values: pa.Array, zoned: bool) -> np.ndarray | None:
    """Arrow's microseconds for values of one shape, or None when Arrow refuses any of them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from recomart_assets.lake import arrow

    try:
        stamps = pc.cast(values, pa.timestamp("us", tz="UTC" if zoned else None))
    except pa.ArrowInvalid:
        return None
    return arrow.int64s(stamps)


def _column(stamps: Sequence[object] | pa.Array) -> pa.Array:
    """The timestamp values as an Arrow string array (all null when some are not strings: the scalar
    helper then decides each)."""
    import pyarrow as pa

    from recomart_assets.lake import arrow

    if isinstance(stamps, pa.Array):
        return stamps
    if all(isinstance(stamp, str) for stamp in stamps):
        return arrow.texts(stamps)  # type: ignore[arg-type]  # all str, checked
    return pa.nulls(len(stamps), pa.string())


def _arrow_shapes(values: pa.Array, require_offset: bool) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds and a mask of the values whose shape the regexes admit and Arrow casts."""
    import numpy as np
    import pyarrow.compute as pc

    from recomart_assets.lake import arrow

    n = len(values)
    micros = np.zeros(n, dtype=np.int64)
    cast_ok = np.zeros(n, dtype=bool)
    for pattern, zoned in [(_ZONED, True)] + ([] if require_offset else [(_NAIVE, False)]):
        mask = arrow.bools(pc.match_substring_regex(values, pattern))
        if mask.any():
            cast = _cast(arrow.keep(values, mask), zoned)
            if cast is not None:
                micros[mask] = cast
                cast_ok |= mask
    return micros, cast_ok


def place_many(stamps: Sequence[object] | pa.Array, bounds: TimeBounds, *, require_offset: bool = True,
               latest: datetime | None = None) -> Placements:
    """:func:`place` for a column of timestamp values (strings or None), vectorised where it can be.

    The common shapes are read from their bytes (:func:`~recomart_assets.lake.isotimes.common_shapes`),
    the other shapes the regexes admit are cast by Arrow, and every value left goes through
    :func:`place`. One clock reading (``latest``, default now + skew) applies to the whole column.
    """
    import numpy as np
    import pyarrow as pa

    from recomart_assets.lake import arrow
    from recomart_assets.lake.isotimes import common_shapes

    latest = bounds.latest() if latest is None else latest
    values = _column(stamps)
    micros, fast = common_shapes(values, naive=not require_offset)
    rest = np.flatnonzero(~fast)
    if len(rest):
        rest_micros, cast = _arrow_shapes(arrow.take(values, rest), require_offset)
        micros[rest[cast]] = rest_micros[cast]
        fast[rest[cast]] = True
    ok = fast.copy()
    problems: dict[int, Unplaceable] = {}
    first, last = to_micros(bounds.first), to_micros(latest)
    for i in np.flatnonzero(fast & ((micros < first) | (micros > last))):
        problem = bounds.problem(from_micros(micros[i]), latest)
        assert problem is not None, "a time outside [first, latest] is a problem"
        problems[int(i)] = problem
        ok[i] = False
    for i in np.flatnonzero(~fast):
        stamp = stamps[int(i)] if not isinstance(stamps, pa.Array) else stamps[int(i)].as_py()
        placed = place(stamp, bounds, require_offset=require_offset, latest=latest)
        if isinstance(placed, Placement):
            micros[i] = to_micros(placed.moment)
            ok[i] = True
        else:
            problems[int(i)] = placed
    return Placements(micros, ok, problems)
