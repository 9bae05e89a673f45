"""An outcome becomes the dataset's report section, and its checks come back from it."""

from __future__ import annotations

from recomart_assets.quality.engines.outcome import (
    InputFile,
    Outcome,
    checks_from_entry,
    column_type,
    dataset_entry,
    missing_outcome,
)
from recomart_assets.quality.rules.checks import CheckResult, DatasetValidation


def test_a_missing_partition_warns_and_keeps_its_quarantine_counts():
    outcome = missing_outcome("transactions", "2026-01-05", (4, 1), "duckdb")
    assert outcome.missing and (outcome.dataset, outcome.partition) == ("transactions", "2026-01-05")
    assert (outcome.quarantined_records, outcome.quarantine_files, outcome.engine) == (4, 1, "duckdb")
    entry = dataset_entry(outcome)
    assert entry["status"] == "missing" and entry["failure_rate"] == 0.0  # no rows: no division
    assert [c.name for c in checks_from_entry(entry)] == ["partition present"]


def test_the_entry_rounds_the_failure_rate_and_round_trips_the_checks():
    checks = [CheckResult("price: not null", "warn", "warn", 1, ["<missing>"], [2], "values", "price")]
    validation = DatasetValidation("transactions", "2026-01-05", "warn", 3, checks, failed_rows=1)
    outcome = Outcome(validation, files=[InputFile("a.csv", "ab")], bytes=10)
    entry = dataset_entry(outcome)
    assert (entry["row_count"], entry["failure_rate"], entry["files"], entry["bytes"]) == (3, 0.333333, 1, 10)
    assert "extra_fields" not in entry
    assert checks_from_entry(entry) == checks
    outcome.extra_fields = {"distinct": 1, "fields": []}
    assert dataset_entry(outcome)["extra_fields"] == {"distinct": 1, "fields": []}
    assert InputFile("a.csv", "ab").to_dict() == {"file": "a.csv", "md5": "ab"}


def test_column_types():
    assert [column_type(t) for t in ("Int64", "float64", "datetime64[ns, UTC]", "string[pyarrow]", None)] == [
        "integer", "number", "timestamp", "string", "string"]
