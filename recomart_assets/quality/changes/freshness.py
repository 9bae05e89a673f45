"""Freshness per source: was the day's partition there by its deadline?

Each dataset's spec says by when a day is due (:class:`~recomart_assets.datasets.Freshness`: a UTC
time on the day itself, or on the next day for data complete only once the day is over, like the
sealed clickstream). ``RECOMART_FRESHNESS_DEADLINES`` (``clickstream=03:00,transactions=13:30``)
moves a deadline without a code change. Dagster's own freshness checks watch the same deadlines
live (``defs/quality/freshness.py``); this is the report's after-the-fact view of one day:

* ``on_time``: the partition's first complete file was written by the deadline;
* ``late``: it was written after the deadline (shown, not flagged by default: a partition
  re-derived by a backfill is always written later than its deadline);
* ``missing``: no complete file, and the deadline has passed (flagged);
* ``pending``: no complete file yet, but the deadline is still ahead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from recomart_assets import datasets
from recomart_assets.errors import ConfigError
from recomart_assets.lake import RawZone, complete_files

ENV_VAR = "RECOMART_FRESHNESS_DEADLINES"


def parse_deadlines(text: str | None) -> dict[str, time]:
    """``dataset=HH:MM`` pairs, comma-separated, into deadline times (unknown datasets refused)."""
    found: dict[str, time] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in datasets.names():
            raise ConfigError(f"{ENV_VAR}: expected dataset=HH:MM with a known dataset, got {item.strip()!r}")
        try:
            found[name] = time.fromisoformat(value.strip())
        except ValueError:
            raise ConfigError(f"{ENV_VAR}: {value.strip()!r} is not a time of day (HH:MM)") from None
    return found


def deadline_of(dataset: str, day: date | str, overrides: Mapping[str, time] | None = None) -> datetime | None:
    """When ``dataset``'s partition of ``day`` is due, or None when its spec sets no deadline."""
    spec = datasets.get(dataset).freshness
    if spec is None:
        return None
    on = date.fromisoformat(str(day)) + timedelta(days=1 if spec.after_day else 0)
    return datetime.combine(on, (overrides or {}).get(dataset, spec.deadline), tzinfo=UTC)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


@dataclass(frozen=True)
class SourceFreshness:
    """One dataset's day: when it was due, when it arrived, and what that makes it."""

    dataset: str
    partition: str
    deadline: datetime
    status: str  # on_time | late | missing | pending
    arrived_at: datetime | None
    files: int

    @property
    def metric(self) -> str:
        """The name acknowledgements use."""
        return "freshness"

    def warns(self, flag_late: bool = False) -> bool:
        """True when the day is ``missing``, or ``late`` and ``flag_late`` is set (off by default: a backfilled
        partition is always written after its deadline)."""
        return self.status == "missing" or (flag_late and self.status == "late")

    def to_dict(self) -> dict[str, Any]:
        """The report's ``freshness`` entry: times in UTC with a ``Z``, ``hours_after_deadline`` (negative when
        early, None when nothing arrived) rounded to 2 places."""
        lag = (self.arrived_at - self.deadline).total_seconds() / 3600 if self.arrived_at else None
        return {
            "dataset": self.dataset,
            "partition": self.partition,
            "metric": self.metric,
            "status": self.status,
            "deadline": self.deadline.isoformat().replace("+00:00", "Z"),
            "arrived_at": self.arrived_at.isoformat().replace("+00:00", "Z") if self.arrived_at else None,
            "hours_after_deadline": None if lag is None else round(lag, 2),
            "files": self.files,
        }


def source_freshness(zone: RawZone, dataset: str, day: date | str, now: datetime | None = None,
                     overrides: Mapping[str, time] | None = None) -> SourceFreshness | None:
    """The freshness of one dataset's day, from its manifests (None when it has no deadline)."""
    deadline = deadline_of(dataset, day, overrides)
    if deadline is None:
        return None
    spec = datasets.get(dataset)
    stamps = [_parse(manifest.created_at) for _, manifest in complete_files(zone.partition_dir(dataset, day),
                                                                            spec.file_pattern)]
    arrived = min(stamps) if stamps else None
    if arrived is not None:
        status = "on_time" if arrived <= deadline else "late"
    else:
        status = "missing" if (now or datetime.now(UTC)) > deadline else "pending"
    return SourceFreshness(dataset, str(day), deadline, status, arrived, len(stamps))


def freshness(zone: RawZone, day: date | str, now: datetime | None = None,
              overrides: Mapping[str, time] | None = None) -> list[SourceFreshness]:
    """Every source's freshness on ``day`` (the report's ``freshness`` section), in report order."""
    found = (source_freshness(zone, name, day, now, overrides) for name in datasets.names())
    return [item for item in found if item is not None]
