"""Per-partition metric states: one small JSON file per dataset and day, beside the report.

A state is what validating a dataset's day found, in numbers: counts, nulls, duplicates, distinct
counts (exact, or a HyperLogLog estimate for big days: ``distinct_method``), ranges, failure counts
per check, chart data, volume per hour and segment, nulls per segment, and the fields observed.
It is written by the validation of that day (the asset check or the report, whichever runs first)
to ``reports/D/states/<dataset>.json`` with a manifest (``recomart verify`` checks it), and it is
the result the asset checks and the report share: the report re-validates a dataset only when its
state is missing or stale (the partition's files or md5s, its references' files, or the failure
threshold changed). Trends, anomaly detection and backfills read states, never raw files.

Format (``state_version`` 1): the fields of :class:`MetricState`, as agreed with the anomaly
detection (``docs/quality.md``, "Metric states"). Fields beyond the agreed ones: ``reference_files``,
``fail_rate``, ``engine``, ``failed_rows``, ``distinct_method``, ``present`` (non-null values per
column) and ``report`` (the dataset's section of the report JSON, samples included).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import cast

import orjson

from recomart_assets.lake import RawZone, complete_files, day_key, read_verified_bytes, utc_now_iso, write_data_file
from recomart_assets.lake.lineage import Derived
from recomart_assets.lake.locks import exclusive_writer
from recomart_assets.quality.contract import DatasetEntry
from recomart_assets.quality.engines.outcome import InputFile, Outcome, checks_from_entry, dataset_entry
from recomart_assets.quality.rules.checks import DatasetValidation

STATE_VERSION = 1
STATE_DATASET = "data_quality_state"
STATES_FOLDER = "states"


@dataclass
class MetricState:
    """One dataset's day in numbers (see the module docstring)."""

    dataset: str
    partition: str
    computed_at: str
    files: list[dict[str, str]]
    missing: bool
    row_count: int
    duplicate_rows: int
    quarantined_records: int
    columns: dict[str, dict]
    schema: dict[str, str]
    checks: dict[str, dict]
    histograms: dict[str, dict]
    segments: dict[str, dict[str, int]]
    segment_nulls: dict[str, dict[str, dict[str, int]]]
    distinct_method: str = "exact"
    failed_rows: int = 0
    reference_files: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    fail_rate: float = 0.0
    engine: str = ""
    present: dict[str, int] = field(default_factory=dict)
    report: DatasetEntry = field(default_factory=lambda: cast(DatasetEntry, {}))
    state_version: int = STATE_VERSION

    def to_json(self) -> bytes:
        """The state file's bytes: every field, indented, with a trailing newline (keys that are not strings are
        written as strings)."""
        return orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"

    @classmethod
    def from_json(cls, data: bytes) -> MetricState:
        """A state from its file's bytes; keys this version does not know are ignored (callers check
        ``state_version``)."""
        raw = orjson.loads(data)
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in raw.items() if k in known})

    def outcome(self) -> Outcome:
        """The validation this state records, as the asset checks and the report use it."""
        entry = self.report
        validation = DatasetValidation(self.dataset, self.partition, entry["status"], self.row_count,
                                       checks_from_entry(entry), failed_rows=self.failed_rows)
        return Outcome(
            validation=validation,
            files=[InputFile(f["file"], f["md5"]) for f in self.files],
            bytes=entry["bytes"],
            quarantined_records=self.quarantined_records,
            quarantine_files=entry["quarantine_files"],
            columns=entry["columns"],
            distributions=entry["distributions"],
            present=self.present,
            column_types={c: p.get("type", "string") for c, p in self.columns.items()},
            observed_schema=self.schema,
            segments=self.segments,
            segment_nulls=self.segment_nulls,
            distinct_method=self.distinct_method,
            engine=self.engine,
            extra_fields=entry.get("extra_fields", {}),
        )


def state_of(outcome: Outcome, reference_files: dict[str, list[dict[str, str]]], fail_rate: float) -> MetricState:
    """The metric state of a validation ``outcome``, with the reference files and failure threshold it was computed
    under (what :func:`is_fresh` later compares)."""
    validation = outcome.validation
    columns = {}
    for name, profile in outcome.columns.items():
        columns[name] = {
            "null_count": profile["null_count"],
            "distinct_count": profile["distinct_count"],
            **{k: profile[k] for k in ("min", "max") if k in profile},
            "type": outcome.column_types.get(name, "string"),
        }
    return MetricState(
        dataset=outcome.dataset,
        partition=outcome.partition,
        computed_at=utc_now_iso(),
        files=[f.to_dict() for f in outcome.files],
        missing=outcome.missing,
        row_count=validation.row_count,
        duplicate_rows=validation.duplicate_rows,
        quarantined_records=outcome.quarantined_records,
        columns=columns,
        schema=outcome.observed_schema,
        checks={c.name: {"status": c.status, "failure_count": c.failure_count} for c in validation.checks},
        histograms=outcome.distributions,
        segments=outcome.segments,
        segment_nulls=outcome.segment_nulls,
        distinct_method=outcome.distinct_method,
        failed_rows=validation.failed_rows,
        reference_files=reference_files,
        fail_rate=fail_rate,
        engine=outcome.engine,
        present=outcome.present,
        report=dataset_entry(outcome),
    )


def state_path(zone: RawZone, dataset: str, day: date | str):
    """``reports/<day>/states/<dataset>.json``: where the state of ``dataset`` on ``day`` lives, beside the report."""
    return zone.reports_dir(day) / STATES_FOLDER / f"{dataset}.json"


def report_writer(zone: RawZone, day: date | str) -> AbstractContextManager[None]:
    """Hold while writing anything under ``reports/D/`` (states, results, the PDF): the checks and
    the report of a day write one at a time, and a killed writer's temporary files go first."""
    return exclusive_writer(zone, f"report:{day_key(day)}", [zone.reports_dir(day)])


def write_state(zone: RawZone, state: MetricState) -> None:
    """Write ``state`` with its manifest (lineage: the files and reference files it was computed from), holding the
    day's :func:`report_writer` lock."""
    with report_writer(zone, state.partition):
        write_data_file(
            state_path(zone, state.dataset, state.partition), state.to_json(), dataset=STATE_DATASET,
            partition=state.partition, record_count=1, fmt="json",
            source=Derived(derived="metric_state", inputs={"dataset": state.dataset, "files": state.files,
                                                           "reference_files": state.reference_files}),
        )


def read_state(zone: RawZone, dataset: str, day: date | str) -> MetricState | None:
    """The verified state of ``dataset`` on ``day``, or None when there is none (or of another version)."""
    path = state_path(zone, dataset, day)
    for found, manifest in complete_files(path.parent, path.name):
        state = MetricState.from_json(read_verified_bytes(found, manifest))
        return state if state.state_version == STATE_VERSION else None
    return None


def read_states(zone: RawZone, dataset: str, days: Iterable[date | str]) -> dict[str, MetricState]:
    """States of ``dataset`` for those of ``days`` that have one, keyed by day."""
    found = {}
    for day in days:
        state = read_state(zone, dataset, day)
        if state is not None:
            found[str(day)] = state
    return found


def is_fresh(state: MetricState, files: list[InputFile], reference_files: dict[str, list[dict[str, str]]],
             fail_rate: float) -> bool:
    """The state still describes the partition: same files and md5s, same references, same threshold."""
    return (state.files == [f.to_dict() for f in files] and state.reference_files == reference_files
            and state.fail_rate == fail_rate)
