"""The reference engine: the whole partition in pandas, validated by pandera's pandas backend.

Simple and exact, and memory grows with the day, so it serves small partitions and the tests that
hold the out-of-core engines (DuckDB, Spark) to the same numbers. Nulls, segments and the observed
schema are counted on the data as received; charts, ``min``/``max`` and hours on parsed values.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from recomart_assets import datasets
from recomart_assets.lake import RawZone
from recomart_assets.quality.engines.loading import PartitionData, load_partition
from recomart_assets.quality.engines.outcome import HOURS, MAX_SEGMENT_VALUES, Outcome, column_type, missing_outcome
from recomart_assets.quality.engines.pandas_checks import validate_frame
from recomart_assets.quality.engines.profiling import (
    add_field_name_checks,
    distributions,
    profile_columns,
    value_counts,
)
from recomart_assets.quality.engines.references import ReferenceData
from recomart_assets.quality.rules.checks import DEFAULT_FAIL_RATE
from recomart_assets.quality.rules.schemas import schema_for

ENGINE = "pandas"


def _segment_values(frame: pd.DataFrame, segment: datasets.Segment, categories: pd.Series | None) -> pd.Series | None:
    if segment.column not in frame.columns:
        return None
    values = frame[segment.column]
    if segment.through_catalog:
        return values.map(categories) if categories is not None else pd.Series(None, index=frame.index, dtype=object)
    return values


def segments_of(dataset: str, raw: pd.DataFrame, parsed: pd.DataFrame,
                categories: pd.Series | None) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, dict[str, int]]]]:
    """Volume per hour and per segment value; null count of each column per segment value."""
    spec = datasets.get(dataset)
    segments: dict[str, dict[str, int]] = {}
    nulls: dict[str, dict[str, dict[str, int]]] = {}
    if spec.time_column and spec.time_column in parsed.columns:
        hours = parsed[spec.time_column].dropna().dt.hour.value_counts()
        segments["hour"] = {label: int(hours.get(hour, 0)) for hour, label in enumerate(HOURS)}
    for segment in spec.segments:
        values = _segment_values(raw, segment, categories)
        if values is None:
            continue
        top = value_counts(values).head(MAX_SEGMENT_VALUES)
        segments[segment.name] = {str(value): int(count) for value, count in top.items()}
        missing = raw.isna().groupby(values.to_numpy(), dropna=True).sum()
        nulls[segment.name] = {str(value): {str(c): int(n) for c, n in missing.loc[value].items()} for value in top.index}
    return segments, nulls


def outcome_of(data: PartitionData, references: ReferenceData, fail_rate: float = DEFAULT_FAIL_RATE) -> Outcome:
    """Validate and profile a loaded partition."""
    if data.frame is None:  # data.missing, said so the type checker narrows the frame
        return missing_outcome(data.dataset, data.partition, (data.quarantined_records, data.quarantine_files), ENGINE)
    validation = validate_frame(data.dataset, data.frame, data.partition, references.references, fail_rate)
    add_field_name_checks(validation, data.names)
    assert validation.parsed is not None, "validate_frame keeps the parsed frame until profiled"
    raw, parsed = data.frame, validation.parsed.frame
    schema = schema_for(data.dataset, data.partition)
    segments, segment_nulls = segments_of(data.dataset, raw, parsed, references.categories)
    validation.parsed = None  # the frame is not kept beyond this call
    return Outcome(
        validation=validation,
        files=data.files,
        bytes=data.bytes,
        quarantined_records=data.quarantined_records,
        quarantine_files=data.quarantine_files,
        columns=profile_columns(raw, parsed),
        distributions=distributions(data.dataset, parsed, references.categories),
        present={str(c): int(n) for c, n in raw.notna().sum().items()},
        column_types={str(c): column_type(str(schema.columns[c].dtype) if c in schema.columns else None)
                      for c in raw.columns},
        observed_schema=data.observed_schema,
        segments=segments,
        segment_nulls=segment_nulls,
        engine=ENGINE,
        extra_fields=data.extra_fields,
    )


def validate_partition(zone: RawZone, dataset: str, day: date | str, references: ReferenceData,
                       fail_rate: float = DEFAULT_FAIL_RATE) -> Outcome:
    """Load, verify and validate one dataset's partition in memory with pandas; the reference engine the out-of-core
    ones are held to (memory grows with the day)."""
    return outcome_of(load_partition(zone, dataset, day), references, fail_rate)
