"""Where a record belongs: its UTC day and hour, or the reason it has none.

One helper for every source that places records by time (the Kafka consumer, clickstream CSV
exports, the transactions splitter), so "this record cannot be placed" is worded once and the
event-time bounds hold everywhere:

* a timestamp must be an ISO 8601 string; with ``require_offset`` (clickstream) it must carry a UTC
  offset, otherwise (transactions) a naive time is taken as UTC;
* it must not fall before the first partition (:data:`~recomart_assets.datasets.PARTITION_START`)
  nor later than now plus the allowed clock skew: such a record goes to quarantine with its reason
  and never moves a watermark (an app with a wrong clock must not close today).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from recomart_assets.datasets import PARTITION_START

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
        return self.moment.date().isoformat()

    @property
    def hour(self) -> int:
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
    return moment.astimezone(UTC)


def place(stamp: object, bounds: TimeBounds, *, require_offset: bool = True,
          latest: datetime | None = None) -> Placement | Unplaceable:
    """The placement of one record's timestamp value, or why it has none."""
    moment = parse_moment(stamp, require_offset=require_offset)
    if isinstance(moment, Unplaceable):
        return moment
    return bounds.problem(moment, latest) or Placement(moment)
