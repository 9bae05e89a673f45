"""Anomaly detection on the metric history: is today's value unusual for this dataset?

Each metric of the day is compared with the same metric on the earlier partitions of a trailing
window (default 28 days). When the window holds enough days of the same weekday, only those are
compared (Mondays with Mondays: traffic has a weekly rhythm); otherwise every day of the window.
Below ``min_history`` comparable days nothing is judged: a week-old dataset has no "normal" yet.

The expected range is the baseline median plus or minus a half-width that is the larger of

* ``z_threshold`` robust standard deviations (1.4826 x the median absolute deviation, so the
  range is a robust z-score band that one wild day in the baseline does not widen), and
* the family's minimum change (:data:`~recomart_assets.quality.changes.history.FAMILIES`): a relative
  change of the median and an absolute floor, so a perfectly flat history does not turn a
  one-row difference into an alarm.

A value outside the range is an :class:`Anomaly`; it names the dataset, the metric, the value,
the expected range, the relative change, the robust z-score and the days compared. Metrics the
baseline has never seen (a new column) are not judged here: schema drift reports them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from recomart_assets.quality.changes.history import FAMILIES, Family, Metric, MetricHistory, metric_history

MAD_TO_SIGMA = 1.4826  # the MAD of a normal distribution is 0.6745 sigma


@dataclass(frozen=True)
class AnomalyConfig:
    """How anomalies are judged (every field has a tuned default; see the module docstring).

    ``families`` overrides the minimum change of a family (``{"volume": Family(...)}``).
    """

    window_days: int = 28
    min_history: int = 7
    weekday_aware: bool = True
    min_same_weekday: int = 4
    z_threshold: float = 5.0
    families: Mapping[str, Family] = field(default_factory=dict)

    def family(self, name: str) -> Family:
        """The minimum change of family ``name``: this config's override when it has one, else :data:`FAMILIES`'
        default (KeyError for an unknown family)."""
        return self.families.get(name) or FAMILIES[name]


@dataclass(frozen=True)
class Baseline:
    """What a metric is compared with: the days, their median and robust spread."""

    days: tuple[str, ...]
    basis: str  # "same weekday" | "trailing days"
    median: float
    mad: float
    variance: float = 0.0  # the classic one: pooled over siblings (see dispersions)

    @property
    def sigma(self) -> float:
        """The robust standard deviation, 1.4826 x the MAD (in the metric's own unit): one wild day in the baseline
        does not widen it."""
        return MAD_TO_SIGMA * self.mad


@dataclass(frozen=True)
class Anomaly:
    """A metric outside its expected range on one partition."""

    dataset: str
    partition: str
    metric: str  # Metric.key
    family: str
    label: str
    value: float
    expected_low: float
    expected_high: float
    median: float
    relative_change: float | None  # (value - median) / median; None when the median is 0
    z_score: float | None  # robust z; None when the baseline has no spread
    direction: str  # "above" | "below"
    days_compared: tuple[str, ...]
    basis: str

    def to_dict(self) -> dict[str, Any]:
        """The anomaly as the report's ``anomalies`` entry: whole numbers as ints, other values rounded (6 places,
        the change 4, z 2), and None where the median or the spread is 0."""
        return {
            "dataset": self.dataset,
            "partition": self.partition,
            "metric": self.metric,
            "description": self.label,
            "value": _round(self.value),
            "expected_range": [_round(self.expected_low), _round(self.expected_high)],
            "baseline_median": _round(self.median),
            "relative_change": None if self.relative_change is None else round(self.relative_change, 4),
            "z_score": None if self.z_score is None else round(self.z_score, 2),
            "direction": self.direction,
            "days_compared": list(self.days_compared),
            "basis": self.basis,
        }


def _round(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 6)


def trailing_days(day: str, history: MetricHistory, config: AnomalyConfig) -> tuple[str, ...]:
    """The earlier partitions with data inside the window."""
    first = (date.fromisoformat(day) - timedelta(days=config.window_days)).isoformat()
    return tuple(d for d in history.days if first <= d < day)


def comparable(day: str, days: tuple[str, ...], config: AnomalyConfig) -> tuple[tuple[str, ...], str, int]:
    """The days a metric of ``day`` is compared with, the basis, and how many it needs at least.

    The same weekday when the window holds ``min_same_weekday`` of them, else every day of it.
    """
    weekday = date.fromisoformat(day).weekday()
    if config.weekday_aware:
        same = tuple(d for d in days if date.fromisoformat(d).weekday() == weekday)
        if len(same) >= config.min_same_weekday:
            return same, "same weekday", config.min_same_weekday
    return days, "trailing days", config.min_history


def baseline(values: list[float], days: tuple[str, ...], basis: str) -> Baseline:
    """The :class:`Baseline` of ``values`` (one per day of ``days``, same order): their median, MAD and sample
    variance (0 for a single value, which has no spread)."""
    median = statistics.median(values)
    return Baseline(days, basis, median, statistics.median(abs(v - median) for v in values),
                    statistics.variance(values) if len(values) > 1 else 0.0)


def sampling_noise(metric: Metric, base: Baseline, size: float, dispersion: float) -> float:
    """The standard deviation that sampling alone gives the metric, from its size today.

    A share p of n rows varies by sqrt(p(1 - p) / n); a count m by sqrt(dispersion x m), where
    ``dispersion`` (at least 1, Poisson) is pooled over the metric's siblings (see
    :func:`dispersions`): events come in sessions, so counts of events vary more than counts of
    independent rows. A week or two of history says little about spread on its own (the MAD of
    seven values is itself noisy), so this is the least spread a range assumes.
    """
    kind = FAMILIES[metric.family].kind
    if kind == "share" and size > 0:
        p = min(max(base.median, 0.0), 1.0)
        return math.sqrt(p * (1 - p) / size)
    if kind == "count":
        return math.sqrt(max(dispersion, 1.0) * max(base.median, 0.0))
    return 0.0


def sibling_group(metric: Metric) -> str:
    """Counts that share a noise level: the hours of a day, the values of one segment column."""
    return f"{metric.family}:{metric.subject.partition('=')[0]}" if metric.family == "volume" else metric.family


def dispersions(baselines: Mapping[Metric, Baseline]) -> dict[str, float]:
    """Variance over mean of counts, pooled (median) over each group of sibling metrics.

    Pooling the 24 hours of a day (or the devices, the event types) estimates how much more than
    Poisson the counts of this dataset vary, from far more values than one metric's history has.
    Each sibling's variance is the classic one: the MAD of a week of session-clumped counts
    underestimates their spread, and the median over siblings already ignores a wild hour.
    """
    ratios: dict[str, list[float]] = {}
    for metric, base in baselines.items():
        if FAMILIES[metric.family].kind == "count" and base.median > 0:
            ratios.setdefault(sibling_group(metric), []).append(base.variance / base.median)
    return {group: statistics.median(values) for group, values in ratios.items() if len(values) >= 3}


def expected_range(base: Baseline, family: Family, config: AnomalyConfig, noise: float = 0.0) -> tuple[float, float]:
    """``(low, high)``: median +/- max(z robust sigmas, z sampling sigmas, the family's minimum change)."""
    spread = max(base.sigma, noise)
    half = max(config.z_threshold * spread, family.relative * abs(base.median), family.absolute)
    low, high = base.median - half, base.median + half
    if family.kind in ("count", "share"):
        low = max(low, 0.0)
    if family.kind == "share":
        high = min(high, 1.0)
    return low, high


def judge(dataset: str, day: str, metric: Metric, value: float, base: Baseline, config: AnomalyConfig,
          noise: float = 0.0) -> Anomaly | None:
    """The anomaly of ``metric`` on ``day``, or None when the value is within its expected range."""
    family = config.family(metric.family)
    low, high = expected_range(base, family, config, noise)
    if low <= value <= high:
        return None
    deviation = value - base.median
    return Anomaly(
        dataset=dataset,
        partition=day,
        metric=metric.key,
        family=metric.family,
        label=f"{family.label}" + (f" ({metric.subject})" if metric.subject else ""),
        value=value,
        expected_low=low,
        expected_high=high,
        median=base.median,
        relative_change=deviation / base.median if base.median else None,
        z_score=deviation / base.sigma if base.sigma else None,
        direction="above" if value > high else "below",
        days_compared=base.days,
        basis=base.basis,
    )


@dataclass
class Detection:
    """A dataset's anomalies on one day, and whether there was enough history to judge."""

    dataset: str
    partition: str
    judged: bool
    days_of_history: int
    anomalies: list[Anomaly] = field(default_factory=list)
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The report's per-dataset ``changes.history`` entry: whether it was judged, on how many days, and why not
        (``reason``, only when there is one); the anomalies are listed elsewhere."""
        return {"judged": self.judged, "days_of_history": self.days_of_history,
                **({"reason": self.reason} if self.reason else {})}


def detect(dataset: str, day: str, states: Mapping[str, Any], config: AnomalyConfig | None = None) -> Detection:
    """Anomalies of ``dataset`` on ``day`` from ``{partition: state}`` (``day`` and earlier days).

    A missing day is judged on its row count alone (0 rows is far outside any normal range);
    metrics absent from the baseline are skipped (new columns are schema drift, not anomalies).
    """
    config = config or AnomalyConfig()
    current = states.get(day)
    if current is None:
        return Detection(dataset, day, False, 0, reason="no metric state for this partition")
    history = metric_history(dataset, {d: s for d, s in states.items() if d <= day})
    trailing = trailing_days(day, history, config)
    if len(trailing) < config.min_history:
        return Detection(dataset, day, False, len(trailing),
                         reason=f"{len(trailing)} earlier days with data in the window, {config.min_history} needed")
    detection = Detection(dataset, day, True, len(trailing))
    baselines: dict[Metric, Baseline] = {}
    for metric in history.metrics():
        series = history.values[metric]
        if day not in series:
            continue
        days, basis, needed = comparable(day, tuple(d for d in trailing if d in series), config)
        if len(days) >= needed:  # else a column that most earlier days did not have
            baselines[metric] = baseline([series[d] for d in days], days, basis)
    pooled = dispersions(baselines)
    for metric, base in baselines.items():
        noise = sampling_noise(metric, base, history.sizes[metric][day], pooled.get(sibling_group(metric), 1.0))
        found = judge(dataset, day, metric, history.values[metric][day], base, config, noise)
        if found is not None:
            detection.anomalies.append(found)
    detection.anomalies.sort(key=lambda a: -_severity(a))
    return detection


def _severity(anomaly: Anomaly) -> float:
    """How far outside its range (in half-widths), for ordering the report's list."""
    half = (anomaly.expected_high - anomaly.expected_low) / 2 or 1.0
    distance = anomaly.value - anomaly.expected_high if anomaly.direction == "above" else anomaly.expected_low - anomaly.value
    return distance / half
