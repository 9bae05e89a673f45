"""A rule's result on a partition and how it is judged, whichever engine counted its failures.

Each result has a severity and a status:

* ``error`` checks (the schema itself: columns present, no unexpected columns) fail on any
  failure; they block downstream assets.
* ``warn`` checks (values: missing, duplicates, ranges, formats, day, references) pass at zero
  failures, warn up to ``fail_rate`` of the rows and fail above it.

Type checks (``<column>: type ...``) belong to the schema group: they warn on a few values that
do not parse, and fail when more than half of the rows do not (a mistyped column), which blocks
like a missing column. The rules themselves are listed by
:func:`~recomart_assets.quality.rules.vocabulary.expected_checks`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import cast

import pandas as pd

from recomart_assets.quality.contract import CheckEntry
from recomart_assets.quality.rules.parsing import Parsed
from recomart_assets.quality.rules.schemas import References, referential_checks
from recomart_assets.quality.rules.vocabulary import NO_DUPLICATE_ROWS, PARTITION_PRESENT, Rule

DEFAULT_FAIL_RATE = 0.05
# A typed column where more than this share of the rows does not parse is mistyped (schema fail).
MISTYPED_RATE = 0.5
MAX_SAMPLES = 5
STATUS_ORDER = {"pass": 0, "warn": 1, "fail": 2}


@dataclass
class CheckResult:
    """One rule's outcome on one partition (the contract's check object, plus context)."""

    name: str
    severity: str  # error | warn
    status: str  # pass | warn | fail
    failure_count: int
    samples: list[str] = field(default_factory=list)
    sample_rows: list[int] = field(default_factory=list)
    group: str = "values"  # schema | values | integrity
    column: str | None = None
    detail: str | None = None

    @classmethod
    def from_entry(cls, entry: CheckEntry) -> CheckResult:
        """The check back from its report entry (a metric state's report), field by field so the
        type checker sees every one."""
        return cls(entry["name"], entry["severity"], entry["status"], entry["failure_count"], entry["samples"],
                   entry["sample_rows"], entry["group"], entry.get("column"), entry.get("detail"))

    def to_dict(self) -> CheckEntry:
        """The check's entry in the report JSON (fields without a value left out)."""
        return cast(CheckEntry, {k: v for k, v in asdict(self).items() if v is not None})


@dataclass
class DatasetValidation:
    """A dataset's partition after validation: the parsed frame, its checks and their summary."""

    dataset: str
    partition: str
    status: str  # pass | warn | fail | missing
    row_count: int
    checks: list[CheckResult]
    parsed: Parsed | None = None
    failed_rows: int = 0

    @property
    def duplicate_rows(self) -> int:
        """Rows repeating an earlier row (the failures of ``no duplicate rows``)."""
        return next((c.failure_count for c in self.checks if c.name == NO_DUPLICATE_ROWS), 0)

    def to_dict(self) -> dict:
        """The validation as plain JSON values (checks as their report entries; the parsed frame left out): how a
        validation run elsewhere (a Spark job) is sent back over Dagster Pipes."""
        return {"dataset": self.dataset, "partition": self.partition, "status": self.status,
                "row_count": self.row_count, "failed_rows": self.failed_rows,
                "checks": [check.to_dict() for check in self.checks]}

    @classmethod
    def from_dict(cls, data: dict) -> DatasetValidation:
        """The validation back from :meth:`to_dict` (equal to the one sent, the parsed frame aside)."""
        return cls(data["dataset"], data["partition"], data["status"], data["row_count"],
                   [CheckResult.from_entry(entry) for entry in data["checks"]], failed_rows=data["failed_rows"])

    def group_status(self, group: str) -> str:
        """The worst status of the checks of ``group`` (schema, values, integrity)."""
        return worst(c.status for c in self.checks if c.group == group)


def worst(statuses: Iterable[str]) -> str:
    """The worst of ``statuses`` (fail over warn over pass); ``pass`` when there are none."""
    return max(statuses, key=STATUS_ORDER.__getitem__, default="pass")


def judge(count: int, rows: int, severity: str, fail_rate: float) -> str:
    """The status of ``count`` failures among ``rows`` (see the module docstring)."""
    if count == 0:
        return "pass"
    if severity == "error" or count > fail_rate * max(rows, 1):
        return "fail"
    return "warn"


def judged(rule: Rule, count: int, rows: int, fail_rate: float, samples: list[str] | None = None,
           sample_rows: list[int] | None = None) -> CheckResult:
    """The rule's result for ``count`` failures among ``rows``: its severity, status and samples."""
    threshold = MISTYPED_RATE if rule.group == "schema" else fail_rate  # the type checks
    return CheckResult(rule.name, rule.severity, judge(count, rows, rule.severity, threshold), count,
                       samples or [], sample_rows or [], rule.group, rule.column)


def sample_text(value: object) -> str:
    """A failing value as a sample shows it (``<missing>`` for a missing one), on every engine."""
    return "<missing>" if pd.isna(value) else str(value)


def skipped_references(dataset: str, references: References) -> list[CheckResult]:
    """A referential check whose reference dataset is missing warns that it did not run."""
    return [
        CheckResult(
            f"{ref.column}: {ref.check_name}", "warn", "warn", 0, group="integrity", column=ref.column,
            detail=f"not run: {ref.dataset} is missing for this partition",
        )
        for ref in referential_checks(dataset)
        if references.ids_for(ref) is None
    ]


def missing_partition(dataset: str, day: date | str) -> DatasetValidation:
    """No complete file for the day: reported as missing (a warning), never a crash."""
    check = CheckResult(PARTITION_PRESENT, "warn", "warn", 1, group="schema",
                        detail=f"no complete {dataset} file for {day}")
    return DatasetValidation(dataset, str(day), "missing", 0, [check])
