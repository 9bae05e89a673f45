"""What validating one dataset's partition yields, whichever engine ran it.

An :class:`Outcome` holds the checks and everything the report and the metric state need (column
profiles, charts, per-segment volumes, the observed schema, the verified input files). Engines
(:mod:`~recomart_assets.quality.engines.pandas_engine`, :mod:`~recomart_assets.quality.engines.duckdb_engine`,
:mod:`~recomart_assets.quality.engines.spark_engine`) build it; :mod:`~recomart_assets.quality.states`
persists it per partition, so the asset checks and the report share one validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recomart_assets.quality.contract import DatasetEntry
from recomart_assets.quality.rules.checks import CheckResult, DatasetValidation, missing_partition
from recomart_assets.quality.rules.parsing import FLOAT, INTEGER
from recomart_assets.quality.rules.schemas import TIMESTAMP

# A segment column keeps at most this many values (the most frequent); the rest are not listed.
MAX_SEGMENT_VALUES = 100
HOURS = [f"{hour:02d}" for hour in range(24)]


@dataclass(frozen=True)
class InputFile:
    """A data file that counted: its name and the md5 it was verified against."""

    file: str
    md5: str

    def to_dict(self) -> dict[str, str]:
        """``{"file", "md5"}``: how an input file is stored in a metric state and its manifest's lineage, and
        compared to decide whether a state is still fresh."""
        return {"file": self.file, "md5": self.md5}


@dataclass
class Outcome:
    """One dataset's partition after validation (see the module docstring)."""

    validation: DatasetValidation
    files: list[InputFile] = field(default_factory=list)
    bytes: int = 0
    quarantined_records: int = 0
    quarantine_files: int = 0
    columns: dict[str, dict] = field(default_factory=dict)  # the contract's column profiles
    distributions: dict[str, dict] = field(default_factory=dict)  # chart title -> counts or histogram
    present: dict[str, int] = field(default_factory=dict)  # non-null values per column
    column_types: dict[str, str] = field(default_factory=dict)  # parsed type per column
    observed_schema: dict[str, str] = field(default_factory=dict)  # field -> JSON/CSV type as received
    segments: dict[str, dict[str, int]] = field(default_factory=dict)
    segment_nulls: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    distinct_method: str = "exact"
    engine: str = "pandas"
    extra_fields: dict = field(default_factory=dict)  # keys not profiled as columns, as counts (lake.fields)

    @property
    def dataset(self) -> str:
        """The dataset validated (the validation's own field, so the two cannot disagree)."""
        return self.validation.dataset

    @property
    def partition(self) -> str:
        """The partition validated, ``YYYY-MM-DD`` (the validation's own field)."""
        return self.validation.partition

    @property
    def missing(self) -> bool:
        """True when the partition had no data: the outcome then holds no profiles, only the quarantine counts."""
        return self.validation.status == "missing"


def missing_outcome(dataset: str, day: str, quarantined: tuple[int, int], engine: str) -> Outcome:
    """The outcome of a partition without data: the missing-partition validation, plus the day's quarantined
    ``(records, files)`` (a day whose every record was quarantined still shows them)."""
    return Outcome(missing_partition(dataset, day), quarantined_records=quarantined[0],
                   quarantine_files=quarantined[1], engine=engine)


def column_type(dtype: str | None) -> str:
    """``string``, ``integer``, ``number`` or ``timestamp``: the parsed type of a schema dtype."""
    return {INTEGER: "integer", FLOAT: "number", TIMESTAMP: "timestamp"}.get(dtype or "", "string")


def dataset_entry(outcome: Outcome) -> DatasetEntry:
    """The dataset's section of ``data_quality_report.json`` (the contract's fields and ours)."""
    validation = outcome.validation
    rows = validation.row_count
    entry: DatasetEntry = {
        "status": validation.status,
        "row_count": rows,
        "duplicate_rows": validation.duplicate_rows,
        "failed_rows": validation.failed_rows,
        "failure_rate": round(validation.failed_rows / rows, 6) if rows else 0.0,
        "quarantined_records": outcome.quarantined_records,
        "files": len(outcome.files),
        "bytes": outcome.bytes,
        "quarantine_files": outcome.quarantine_files,
        "columns": outcome.columns,
        "checks": [check.to_dict() for check in validation.checks],
        "distributions": outcome.distributions,
    }
    if outcome.extra_fields:
        entry["extra_fields"] = outcome.extra_fields
    return entry


def checks_from_entry(entry: DatasetEntry) -> list[CheckResult]:
    """The check results a dataset entry (a metric state's ``report``) records."""
    return [CheckResult.from_entry(check) for check in entry["checks"]]
