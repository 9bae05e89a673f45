"""Metric history per dataset, read from the per-partition metric states.

A report for day D must not re-read thirty days of raw files to see what changed, so the
validation engine leaves a small metric state per dataset and day (``quality/states.py``) and
this module turns states into time series: one value per :class:`Metric` per partition. The
detectors (:mod:`.anomalies`, :mod:`.drift`) only ever see these series, which is what makes them
testable on hand-written histories.

Metrics, by family (``key`` is ``family`` or ``family:subject``):

======================  ===============================================  ======
family                  value                                            kind
======================  ===============================================  ======
``row_count``           rows of the partition (0 when it is missing)     count
``duplicate_share``     duplicate rows / rows                            share
``quarantine_share``    quarantined records / (rows + quarantined)       share
``null_share``          nulls / rows, per column                         share
``distinct_count``      distinct values, per column                      count
``failure_count``       failing rows, per check                          count
``hourly_volume``       rows per UTC hour (``00`` .. ``23``)             count
``volume``              rows per segment value (``device=android``)      count
``segment_null_share``  nulls / rows of one segment, per column          share
                        (``device=android:product_id``)
``mean``                mean of a numeric chart (``price``)              level
======================  ===============================================  ======

A missing partition contributes only ``row_count`` 0: the other metrics have no meaning there,
and a missing day must not pull the baseline of the days after it (see :func:`metric_history`).
States are accepted as :class:`~recomart_assets.quality.states.MetricState` objects or as their
JSON dicts (``state_version`` 1), so the detectors need nothing but data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["count", "share", "level"]
State = Mapping[str, Any]

# Segments below this many rows are too small for their null share to mean anything.
MIN_SEGMENT_ROWS = 50


@dataclass(frozen=True)
class Family:
    """How a family of metrics is read and how much change it tolerates before it is unusual.

    ``relative`` and ``absolute`` are the smallest change (against the baseline median) that can be
    flagged at all, whatever the spread of the history: a perfectly flat history (the same catalog
    every day) would otherwise flag a change of one row. Counts use both (``relative`` of the
    median, at least ``absolute`` rows), shares an ``absolute`` difference of the share.
    """

    kind: Kind
    label: str
    relative: float = 0.0
    absolute: float = 0.0


FAMILIES: dict[str, Family] = {
    "row_count": Family("count", "rows", relative=0.25, absolute=20),
    "duplicate_share": Family("share", "share of duplicate rows", absolute=0.01),
    "quarantine_share": Family("share", "share of records quarantined", absolute=0.01),
    "null_share": Family("share", "share of nulls", absolute=0.03),
    "distinct_count": Family("count", "distinct values", relative=0.25, absolute=20),
    "failure_count": Family("count", "failing rows", relative=0.5, absolute=25),
    "hourly_volume": Family("count", "rows in the hour", relative=0.6, absolute=25),
    "volume": Family("count", "rows in the segment", relative=0.3, absolute=25),
    "segment_null_share": Family("share", "share of nulls in the segment", absolute=0.05),
    "mean": Family("level", "mean", relative=0.2),
}


@dataclass(frozen=True, order=True)
class Metric:
    """One series: a family and what it is about (a column, a check, a segment)."""

    family: str
    subject: str = ""

    @property
    def key(self) -> str:
        """The name reports and acknowledgements use: ``null_share:product_id``."""
        return f"{self.family}:{self.subject}" if self.subject else self.family

    @property
    def spec(self) -> Family:
        """The :class:`Family` this metric belongs to (KeyError for an unknown family; :meth:`parse` refuses those)."""
        return FAMILIES[self.family]

    @classmethod
    def parse(cls, key: str) -> Metric:
        """The metric a key names (``null_share:product_id`` -> family and subject); ValueError for an unknown
        family, so a misspelt acknowledgement or lookup fails loudly."""
        family, _, subject = key.partition(":")
        if family not in FAMILIES:
            raise ValueError(f"unknown metric family {family!r} in {key!r}: known are {', '.join(FAMILIES)}")
        return cls(family, subject)


def as_state(state: Any) -> State:
    """A state as a mapping: the JSON dict itself, or a MetricState object's fields."""
    if isinstance(state, Mapping):
        return state
    for method in ("to_dict", "as_dict"):
        if callable(getattr(state, method, None)):
            return getattr(state, method)()
    if dataclasses.is_dataclass(state) and not isinstance(state, type):
        return dataclasses.asdict(state)
    raise TypeError(f"not a metric state: {type(state).__name__}")


def is_missing(state: Any) -> bool:
    """True when the state records a partition that had no data (it then contributes only ``row_count`` 0)."""
    return bool(as_state(state).get("missing"))


def histogram_mean(histogram: Mapping[str, Any]) -> float | None:
    """Mean of a ``histogram`` chart from its bin midpoints (None when empty or not a histogram)."""
    if histogram.get("kind") != "histogram":
        return None
    edges, counts = histogram.get("edges") or [], histogram.get("counts") or []
    total = sum(counts)
    if not total or len(edges) != len(counts) + 1:
        return None
    return sum((edges[i] + edges[i + 1]) / 2 * c for i, c in enumerate(counts)) / total


def readings(state: Any) -> dict[Metric, tuple[float, float]]:
    """Every metric of one partition's state as ``(value, size)``.

    ``size`` is what the value was measured on: the rows behind a share (its denominator, which
    sets the share's sampling noise), and the value itself for counts and levels.
    """
    state = as_state(state)
    rows = int(state.get("row_count") or 0)
    if state.get("missing"):
        return {Metric("row_count"): (0.0, 0.0)}
    found: dict[Metric, tuple[float, float]] = {}

    def share(metric: Metric, part: float, whole: float) -> None:
        if whole:
            found[metric] = (part / whole, float(whole))

    found[Metric("row_count")] = (float(rows), float(rows))
    share(Metric("duplicate_share"), state.get("duplicate_rows") or 0, rows)
    quarantined = state.get("quarantined_records") or 0
    share(Metric("quarantine_share"), quarantined, rows + quarantined)
    for column, profile in (state.get("columns") or {}).items():
        if profile.get("null_count") is not None:
            share(Metric("null_share", column), profile["null_count"], rows)
        if profile.get("distinct_count") is not None:
            found[Metric("distinct_count", column)] = (float(profile["distinct_count"]),) * 2
    for name, check in (state.get("checks") or {}).items():
        if check.get("failure_count") is not None:
            found[Metric("failure_count", name)] = (float(check["failure_count"]),) * 2
    segments = state.get("segments") or {}
    for segment, volumes in segments.items():
        for label, count in volumes.items():
            metric = Metric("hourly_volume", str(label)) if segment == "hour" else Metric("volume", f"{segment}={label}")
            found[metric] = (float(count),) * 2
    for segment, per_label in (state.get("segment_nulls") or {}).items():
        for label, nulls in per_label.items():
            size = (segments.get(segment) or {}).get(label, 0)
            if size < MIN_SEGMENT_ROWS:
                continue
            for column, count in nulls.items():
                share(Metric("segment_null_share", f"{segment}={label}:{column}"), count, size)
    for title, histogram in (state.get("histograms") or {}).items():
        mean = histogram_mean(histogram)
        if mean is not None:
            found[Metric("mean", title)] = (mean, mean)
    return found


def metrics_of(state: Any) -> dict[Metric, float]:
    """Every metric of one partition's state (the values of :func:`readings`)."""
    return {metric: value for metric, (value, _) in readings(state).items()}


@dataclass
class MetricHistory:
    """One dataset's metrics per partition (oldest first); ``missing`` lists days without data."""

    dataset: str
    days: list[str] = field(default_factory=list)  # partitions with data, sorted
    missing: list[str] = field(default_factory=list)
    values: dict[Metric, dict[str, float]] = field(default_factory=dict)
    sizes: dict[Metric, dict[str, float]] = field(default_factory=dict)  # see :func:`readings`

    def series(self, metric: Metric | str) -> dict[str, float]:
        """``{partition: value}`` of one metric (a :class:`Metric` or its key); empty when the history never saw it."""
        metric = Metric.parse(metric) if isinstance(metric, str) else metric
        return self.values.get(metric, {})

    def metrics(self) -> list[Metric]:
        """Every metric seen on any day, sorted (family, then subject), so detection runs in a stable order."""
        return sorted(self.values)


# Families where a label absent from a day's state means zero rows (a device that sent nothing).
_ZERO_WHEN_ABSENT = {"hourly_volume", "volume"}


def metric_history(dataset: str, states: Mapping[str, Any]) -> MetricHistory:
    """The dataset's history from ``{partition: state}``.

    Missing partitions keep only their ``row_count`` 0 and are listed in ``missing``; volume
    metrics of a segment value that a present day did not see are 0 on that day, so a device that
    stopped sending shows as a drop and not as a gap.
    """
    history = MetricHistory(dataset)
    for day in sorted(states):
        state = states[day]
        if state is None:
            continue
        (history.missing if is_missing(state) else history.days).append(day)
        for metric, (value, size) in readings(state).items():
            history.values.setdefault(metric, {})[day] = value
            history.sizes.setdefault(metric, {})[day] = size
    for metric, series in history.values.items():
        if metric.family in _ZERO_WHEN_ABSENT:
            for day in history.days:
                series.setdefault(day, 0.0)
                history.sizes[metric].setdefault(day, 0.0)
    return history
