"""Schema drift and distribution drift of a partition, from the metric states.

**Schema drift** compares the fields a partition holds (every top-level key of the day's JSON
events, the header columns of CSV files: the ``schema`` of its state) with the previous partition
that has data: fields added, removed, or seen with another type. The raw zone keeps what it
received, so a new field is reported here, never dropped. A type of ``null`` (a field that was
null on every record of a day) says nothing about the field's type and is not a retype.

**Distribution drift** is the population stability index of each of the dataset's charts (price,
rating, event types, devices, categories, hours... as the ``DatasetSpec`` lists them) against the
pooled trailing window::

    PSI = sum over bins of (actual - expected) * ln(actual / expected)

with shares per bin, an ``epsilon`` share in place of empty bins, and the usual reading: below
0.1 stable, 0.1 to 0.25 a moderate shift, 0.25 and above a significant one. Category charts use
their labels as bins. Numeric histograms are re-binned first, because each day's histogram has
its own edges (minimum to maximum of that day): common bins are placed only where every
histogram knows its mass (:func:`numeric_bins`), and each day's mass per bin is read off its
cumulative histogram. Charts with fewer than ``min_count`` values on either side are not judged: the PSI of a few dozen
values is mostly sampling noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from recomart_assets.quality.changes.history import as_state, is_missing

PSI_MODERATE = 0.1
PSI_SIGNIFICANT = 0.25
EPSILON = 1e-4
NULL_TYPES = {"null", "none", ""}


@dataclass(frozen=True)
class DriftConfig:
    """Thresholds of distribution drift and the baseline it is measured against."""

    window_days: int = 28
    min_history: int = 7
    moderate: float = PSI_MODERATE
    significant: float = PSI_SIGNIFICANT
    epsilon: float = EPSILON
    min_count: int = 200
    max_split_error: float = 0.02  # numeric histograms: see numeric_bins
    min_bin_share: float = 0.05


@dataclass(frozen=True)
class SchemaDrift:
    """Fields of ``partition`` against ``compared_with`` (the previous partition with data)."""

    dataset: str
    partition: str
    compared_with: str
    added: dict[str, str] = field(default_factory=dict)
    removed: dict[str, str] = field(default_factory=dict)
    retyped: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """True when a field was added, removed or retyped; only then is the drift a finding of the report."""
        return bool(self.added or self.removed or self.retyped)

    def to_dict(self) -> dict[str, Any]:
        """The report's ``drift.schema`` entry: added and removed fields with their types, and ``retyped`` as
        ``{field: {"from": old, "to": new}}``."""
        return {
            "dataset": self.dataset,
            "partition": self.partition,
            "compared_with": self.compared_with,
            "added": dict(self.added),
            "removed": dict(self.removed),
            "retyped": {name: {"from": old, "to": new} for name, (old, new) in self.retyped.items()},
        }


@dataclass(frozen=True)
class DistributionDrift:
    """The PSI of one chart of ``partition`` against its trailing window."""

    dataset: str
    partition: str
    distribution: str  # the chart title
    psi: float
    level: str  # "stable" | "moderate" | "significant"
    days_compared: tuple[str, ...]
    bins: tuple[str, ...]
    expected_shares: tuple[float, ...]
    actual_shares: tuple[float, ...]

    @property
    def metric(self) -> str:
        """The name acknowledgements use: ``psi:<chart title>``."""
        return f"psi:{self.distribution}"

    def to_dict(self) -> dict[str, Any]:
        """The report's ``drift.distributions`` entry, stable charts included (the PDF shows them): PSI and both
        share vectors rounded to 4 places, bins as labels."""
        return {
            "dataset": self.dataset,
            "partition": self.partition,
            "metric": self.metric,
            "distribution": self.distribution,
            "psi": round(float(self.psi), 4),
            "level": self.level,
            "days_compared": list(self.days_compared),
            "bins": list(self.bins),
            "expected_shares": [round(float(s), 4) for s in self.expected_shares],
            "actual_shares": [round(float(s), 4) for s in self.actual_shares],
        }


def _concrete(kind: str | None) -> bool:
    return kind is not None and str(kind).lower() not in NULL_TYPES


def compare_schemas(dataset: str, day: str, current: Mapping[str, str], previous_day: str,
                    previous: Mapping[str, str]) -> SchemaDrift:
    """Fields added, removed and retyped from ``previous`` to ``current`` (``{field: type}``)."""
    added = {name: kind for name, kind in current.items() if name not in previous}
    removed = {name: kind for name, kind in previous.items() if name not in current}
    retyped = {
        name: (previous[name], kind)
        for name, kind in current.items()
        if name in previous and _concrete(kind) and _concrete(previous[name]) and kind != previous[name]
    }
    return SchemaDrift(dataset, day, previous_day, added, removed, retyped)


def schema_drift(dataset: str, day: str, states: Mapping[str, Any]) -> SchemaDrift | None:
    """The day's schema against the latest earlier partition with data; None when either is absent."""
    current = states.get(day)
    if current is None or is_missing(current):
        return None
    earlier = [d for d in sorted(states) if d < day and states[d] is not None and not is_missing(states[d])]
    if not earlier:
        return None
    previous = earlier[-1]
    return compare_schemas(dataset, day, as_state(current).get("schema") or {}, previous,
                           as_state(states[previous]).get("schema") or {})


def psi(expected: Sequence[float] | np.ndarray, actual: Sequence[float] | np.ndarray, epsilon: float = EPSILON) -> float:
    """Population stability index of two share (or count) vectors over the same bins."""
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    if e.shape != a.shape or e.sum() <= 0 or a.sum() <= 0:
        raise ValueError("psi needs two non-empty distributions over the same bins")
    e = np.maximum(e / e.sum(), epsilon)
    a = np.maximum(a / a.sum(), epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def level(value: float, config: DriftConfig) -> str:
    """The reading of a PSI value: ``significant`` from ``config.significant`` up, ``moderate`` from
    ``config.moderate`` up, else ``stable`` (thresholds inclusive)."""
    if value >= config.significant:
        return "significant"
    if value >= config.moderate:
        return "moderate"
    return "stable"


def _cumulative(histogram: Mapping[str, Any], points: np.ndarray) -> np.ndarray:
    """Counts at or below each point, reading the histogram as uniform within each bin."""
    edges = np.asarray(histogram["edges"], dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(np.asarray(histogram["counts"], dtype=float))])
    return np.interp(points, edges, cum, left=0.0, right=cum[-1])


def _total(histogram: Mapping[str, Any]) -> float:
    return float(sum(histogram.get("counts") or histogram.get("values") or []))


def split_error(histogram: Mapping[str, Any], points: np.ndarray) -> np.ndarray:
    """How much of the histogram's mass an edge at each point might misplace, as a share.

    Zero at the histogram's own edges and outside its range (no mass there, exactly); inside a
    bin, the bin's share times the distance to its nearer edge (as a fraction of the bin): what
    reading the bin as uniform can get wrong.
    """
    edges = np.asarray(histogram["edges"], dtype=float)
    counts = np.asarray(histogram["counts"], dtype=float)
    inside = (points > edges[0]) & (points < edges[-1])
    index = np.clip(np.searchsorted(edges, points, side="right") - 1, 0, len(counts) - 1)
    width = edges[index + 1] - edges[index]
    fraction = np.divide(points - edges[index], width, out=np.zeros_like(points), where=width > 0)
    return np.where(inside, counts[index] / counts.sum() * np.minimum(fraction, 1 - fraction), 0.0)


def numeric_bins(histograms: Sequence[Mapping[str, Any]], baseline: Sequence[Mapping[str, Any]],
                 max_error: float, min_share: float) -> np.ndarray:
    """Inner edges of common bins for histograms that each have their own edges.

    Candidates are the edges of every histogram where no histogram would have to guess more than
    ``max_error`` of its mass (:func:`split_error`): each day's histogram spans that day's minimum
    to maximum, so below its resolution any finer bin would be invented. From those, left to
    right, an edge is kept once the pooled baseline holds ``min_share`` of its mass since the
    previous one, so no bin is mere sampling noise; the top bin may be empty in the baseline (a
    value range never seen before, like prices a hundred times higher).
    """
    points = np.unique(np.concatenate([np.asarray(h["edges"], dtype=float) for h in histograms]))
    error = np.max([split_error(h, points) for h in histograms], axis=0)
    candidates = points[error <= max_error]
    pooled = np.sum([_cumulative(h, candidates) for h in baseline], axis=0)
    total = sum(_total(h) for h in baseline)
    kept, last = [], 0.0
    for point, mass in zip(candidates, pooled, strict=True):
        if mass - last >= min_share * total and point < points[-1]:  # above the last point: empty everywhere
            kept.append(point)
            last = mass
    return np.asarray(kept)


def numeric_masses(histogram: Mapping[str, Any], inner: np.ndarray) -> np.ndarray:
    """Counts of ``histogram`` in the bins (-inf, inner[0]], ..., (inner[-1], inf)."""
    cum = _cumulative(histogram, inner)
    return np.diff(np.concatenate([[0.0], cum, [_total(histogram)]]))


def _labels(inner: np.ndarray) -> tuple[str, ...]:
    text = [f"{v:.4g}" for v in inner]
    return (f"<= {text[0]}", *(f"{lo} - {hi}" for lo, hi in zip(text, text[1:], strict=False)), f"> {text[-1]}")


def distribution_drift(dataset: str, day: str, title: str, current: Mapping[str, Any],
                       baseline: Mapping[str, Mapping[str, Any]], config: DriftConfig) -> DistributionDrift | None:
    """The PSI of one chart against the pooled ``{day: chart}`` baseline, or None when not judged."""
    usable = {d: h for d, h in baseline.items() if h.get("kind") == current.get("kind") and _total(h) > 0}
    if len(usable) < config.min_history or _total(current) < config.min_count:
        return None
    if sum(_total(h) for h in usable.values()) < config.min_count:
        return None
    if current["kind"] == "histogram":
        if len(current.get("edges") or []) < 2:
            return None
        inner = numeric_bins([*usable.values(), current], list(usable.values()), config.max_split_error,
                             config.min_bin_share)
        if inner.size == 0:
            return None
        expected = np.sum([numeric_masses(h, inner) for h in usable.values()], axis=0)
        actual = numeric_masses(current, inner)
        bins = _labels(inner)
    else:
        labels = sorted({str(x) for h in (*usable.values(), current) for x in h["labels"]})
        index = {label: i for i, label in enumerate(labels)}

        def masses(h: Mapping[str, Any]) -> np.ndarray:
            out = np.zeros(len(labels))
            for label, value in zip(h["labels"], h["values"], strict=True):
                out[index[str(label)]] += value
            return out

        expected = np.sum([masses(h) for h in usable.values()], axis=0)
        actual = masses(current)
        bins = tuple(labels)
    value = psi(expected, actual, config.epsilon)
    return DistributionDrift(
        dataset, day, title, value, level(value, config), tuple(sorted(usable)),
        bins, tuple(expected / expected.sum()), tuple(actual / actual.sum()),
    )


def distribution_drifts(dataset: str, day: str, states: Mapping[str, Any],
                        config: DriftConfig | None = None) -> list[DistributionDrift]:
    """The PSI of every chart of the day's state against the trailing window's states."""
    config = config or DriftConfig()
    current = states.get(day)
    if current is None or is_missing(current):
        return []
    first = (date.fromisoformat(day) - timedelta(days=config.window_days)).isoformat()
    earlier = {d: as_state(s) for d, s in states.items() if first <= d < day and s is not None and not is_missing(s)}
    found = []
    for title, chart in (as_state(current).get("histograms") or {}).items():
        baseline = {d: s["histograms"][title] for d, s in earlier.items() if title in (s.get("histograms") or {})}
        drift = distribution_drift(dataset, day, title, chart, baseline, config)
        if drift is not None:
            found.append(drift)
    return found
