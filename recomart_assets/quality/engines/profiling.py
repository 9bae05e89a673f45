"""Profiles of a partition: per-column statistics and the distributions people look at.

Column statistics follow the contract (``null_count``, ``distinct_count``, ``min``/``max`` where
they apply) plus the null share and the most frequent values. Nulls and distinct values are
counted on the data as received; ``min``/``max`` on the parsed numbers and timestamps. The
distributions are small label/count lists (JSON-friendly) that the PDF report draws as charts.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import orjson
import pandas as pd

from recomart_assets import datasets
from recomart_assets.datasets import Chart
from recomart_assets.lake.fields import case_collisions, shown
from recomart_assets.quality.rules.checks import MAX_SAMPLES, CheckResult, DatasetValidation, worst

TOP_VALUES = 5
HISTOGRAM_BINS = 20
CASE_COLLISIONS = "field names distinct ignoring case"


def add_field_name_checks(validation: DatasetValidation, names: Iterable[str]) -> None:
    """Keys equal but for case (``Price`` and ``price``) as a schema finding of the partition: they
    are validated as separate columns here, and a case-insensitive reader (DuckDB or Spark by name)
    would take them for one. Only added when there are some; samples name a few groups, bounded."""
    groups = case_collisions(names)
    if not groups:
        return
    validation.checks.append(CheckResult(
        CASE_COLLISIONS, "warn", "warn", len(groups),
        [orjson.dumps([shown(name) for name in group[:MAX_SAMPLES]]).decode() for group in groups[:MAX_SAMPLES]],
        group="schema", detail="fields whose names differ only by case are checked as separate fields"))
    validation.status = worst(check.status for check in validation.checks)


def _scalar(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def value_counts(values: pd.Series) -> pd.Series:
    """Counts per value, most frequent first, ties in order of first appearance (what every engine
    sorts by, so the top values of a column with many equal counts are the same on each)."""
    return values.dropna().value_counts(sort=False).sort_values(ascending=False, kind="stable")


def column_profile(raw: pd.Series, parsed: pd.Series) -> dict:
    """One column's contract profile: nulls and distinct values counted on the text as received, ``min``/``max`` when
    the column parses to another type, else its top values when some repeat."""
    rows = len(raw)
    nulls = int(raw.isna().sum())
    distinct = int(raw.nunique(dropna=True))
    profile: dict = {
        "null_count": nulls,
        "null_share": round(nulls / rows, 6) if rows else 0.0,
        "distinct_count": distinct,
    }
    if parsed.dtype != raw.dtype and parsed.notna().any():
        profile["min"] = _scalar(parsed.min())
        profile["max"] = _scalar(parsed.max())
    elif distinct and distinct < rows:  # repeated text values: which ones dominate
        top = value_counts(raw).head(TOP_VALUES)
        profile["top_values"] = [{"value": str(v), "count": int(c)} for v, c in top.items()]
    return profile


def profile_columns(raw: pd.DataFrame, parsed: pd.DataFrame) -> dict[str, dict]:
    """Every column's :func:`column_profile`, keyed by column name as text, in the frame's column order."""
    return {str(name): column_profile(raw[name], parsed[name]) for name in raw.columns}


def histogram(values: pd.Series, bins: int = HISTOGRAM_BINS) -> dict:
    """A ``histogram`` chart of the finite values: :data:`HISTOGRAM_BINS` equal bins from the day's minimum to
    maximum (edges rounded to 4 places); no edges or counts when none is finite."""
    finite = values.to_numpy(dtype="float64", na_value=np.nan)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return {"kind": "histogram", "edges": [], "counts": []}
    counts, edges = np.histogram(finite, bins=bins)
    return {"kind": "histogram", "edges": [round(float(e), 4) for e in edges], "counts": counts.tolist()}


def chart_label(value: object) -> str:
    """A category as the chart shows it: a whole float without its ``.0`` (ratings ``4``, not ``4.0``), so every
    engine labels the same value alike."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def counts(values: pd.Series, order: list | None = None, top: int = 15) -> dict:
    """A ``counts`` chart: the ``order`` categories, empty ones shown as 0, or else the ``top`` most frequent values
    (ties in order of first appearance)."""
    tally = value_counts(values)
    tally = tally.reindex(order, fill_value=0) if order is not None else tally.head(top)
    return {"kind": "counts", "labels": [chart_label(v) for v in tally.index], "values": [int(v) for v in tally]}


def per_hour(timestamps: pd.Series) -> dict:
    """A ``per_hour`` chart: rows per UTC hour 0-23 of parsed timestamps (or of hour numbers already extracted),
    every hour shown, 0 when empty."""
    hours = timestamps.dropna().dt.hour if pd.api.types.is_datetime64_any_dtype(timestamps) else timestamps
    return counts(hours, order=list(range(24)))


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """The column, or an empty one when the partition lacks it (its chart is then empty)."""
    return frame[name] if name in frame.columns else pd.Series([], dtype="float64")


def _chart(chart: Chart, frame: pd.DataFrame, categories: pd.Series | None) -> dict:
    column = _column(frame, chart.column)
    if chart.kind == "histogram":
        return histogram(column)
    if chart.kind == "per_hour":
        return per_hour(column)
    if chart.kind == "per_category":
        return counts(column.map(categories) if categories is not None else pd.Series([], dtype="float64"))
    if chart.order:
        return counts(column.round() if all(isinstance(v, float) for v in chart.order) else column, order=list(chart.order))
    return counts(column)


def distributions(dataset: str, parsed: pd.DataFrame, categories: pd.Series | None = None) -> dict[str, dict]:
    """The dataset's charts; ``categories`` maps product id to category (from the day's catalog)."""
    return {chart.title: _chart(chart, parsed, categories) for chart in datasets.get(dataset).charts}
