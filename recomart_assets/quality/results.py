"""The per-partition quality results: validation of every dataset, as the contract's JSON object.

``build_results`` reads the partition of every dataset, validates each against the same day's
catalog and customers, profiles it, and returns ``data_quality_report.json``'s content (format in
the contract, plus per-dataset status, failure rate, ingestion figures, distributions and a
cross-table ``integrity`` section). ``history`` reads earlier partitions' results for trends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import orjson
import pandas as pd
from upath import UPath

from recomart_assets import datasets
from recomart_assets.lake import Manifest, RawZone, complete_files, read_verified_bytes, utc_now_iso, write_data_file
from recomart_assets.lake.lineage import Derived
from recomart_assets.quality.checks import (
    DEFAULT_FAIL_RATE,
    DatasetValidation,
    missing_partition,
    validate_frame,
    worst,
)
from recomart_assets.quality.loading import PartitionData, load_partition
from recomart_assets.quality.profiling import distributions, profile_columns
from recomart_assets.quality.schemas import References, reference_of, referential_checks

DATASETS = datasets.names()
REPORT_DATASET = "data_quality_report"
REPORT_JSON = "data_quality_report.json"


@dataclass
class PartitionCheck:
    """One dataset's partition: what was read and what validation found."""

    data: PartitionData
    validation: DatasetValidation


@dataclass
class ReferenceData:
    """The day's catalog and customers as seen by cross-table checks and the category chart."""

    references: References
    categories: pd.Series | None


def _ids(data: PartitionData, column: str) -> pd.Index | None:
    if data.missing or column not in data.frame.columns:
        return None
    return pd.Index(data.frame[column].dropna().unique())


def reference_data(catalog: PartitionData, customers: PartitionData) -> ReferenceData:
    categories = None
    if not catalog.missing and {"product_id", "category"} <= set(catalog.frame.columns):
        pairs = catalog.frame.dropna(subset=["product_id"]).drop_duplicates("product_id")
        categories = pd.Series(pairs["category"].to_numpy(), index=pairs["product_id"].to_numpy())
    return ReferenceData(References(_ids(catalog, "product_id"), _ids(customers, "customer_id")), categories)


def check_partition(data: PartitionData, references: References, fail_rate: float = DEFAULT_FAIL_RATE) -> PartitionCheck:
    if data.missing:
        return PartitionCheck(data, missing_partition(data.dataset, data.partition))
    return PartitionCheck(data, validate_frame(data.dataset, data.frame, data.partition, references, fail_rate))


def check_dataset(zone: RawZone, dataset: str, day: date | str, fail_rate: float = DEFAULT_FAIL_RATE) -> PartitionCheck:
    """Validate one dataset's partition (what an asset check runs), loading references it needs."""
    needed = {reference_of(check) for _, check in referential_checks(dataset)}
    loaded = {name: load_partition(zone, name, day) for name in needed}
    empty = PartitionData("", str(day), None)
    refs = reference_data(loaded.get("product_catalog", empty), loaded.get("customers", empty)).references
    return check_partition(load_partition(zone, dataset, day), refs, fail_rate)


def check_all(zone: RawZone, day: date | str, fail_rate: float = DEFAULT_FAIL_RATE) -> tuple[dict[str, PartitionCheck], ReferenceData]:
    loaded = {name: load_partition(zone, name, day) for name in DATASETS}
    refs = reference_data(loaded["product_catalog"], loaded["customers"])
    return {name: check_partition(data, refs.references, fail_rate) for name, data in loaded.items()}, refs


def dataset_results(checked: PartitionCheck, categories: pd.Series | None) -> dict:
    data, validation = checked.data, checked.validation
    entry = {
        "status": validation.status,
        "row_count": validation.row_count,
        "duplicate_rows": validation.duplicate_rows,
        "failed_rows": validation.failed_rows,
        "failure_rate": round(validation.failed_rows / validation.row_count, 6) if validation.row_count else 0.0,
        "quarantined_records": data.quarantined_records,
        "files": len(data.files),
        "bytes": data.bytes,
        "quarantine_files": data.quarantine_files,
        "columns": {},
        "checks": [check.to_dict() for check in validation.checks],
        "distributions": {},
    }
    if validation.parsed is not None:
        entry["columns"] = profile_columns(data.frame, validation.parsed.frame)
        entry["distributions"] = distributions(data.dataset, validation.parsed.frame, categories)
    return entry


def integrity_results(checked: dict[str, PartitionCheck]) -> list[dict]:
    """Cross-table checks: each id column against the same day's catalog or customers."""
    rows = []
    for dataset, item in checked.items():
        for check in item.validation.checks:
            if check.group != "integrity":
                continue
            frame = item.data.frame
            present = int(frame[check.column].notna().sum()) if frame is not None and check.column in frame else 0
            rows.append({
                "dataset": dataset,
                "column": check.column,
                "reference": reference_of(check.name.split(": ", 1)[1]),
                "checked": present,
                "unmatched": check.failure_count,
                "unmatched_share": round(check.failure_count / present, 6) if present else 0.0,
                "status": check.status,
                "samples": check.samples,
                **({"detail": check.detail} if check.detail else {}),
            })
    return rows


def build_results(zone: RawZone, day: date | str, fail_rate: float = DEFAULT_FAIL_RATE) -> dict:
    """The partition's quality results (the content of ``data_quality_report.json``)."""
    checked, refs = check_all(zone, day, fail_rate)
    datasets = {name: dataset_results(item, refs.categories) for name, item in checked.items()}
    statuses = [entry["status"] for entry in datasets.values()]
    all_checks = [c for entry in datasets.values() for c in entry["checks"]]
    return {
        "partition": str(day),
        "generated_at": utc_now_iso(),
        "overall_status": worst("warn" if s == "missing" else s for s in statuses),
        "summary": {
            "datasets_missing": statuses.count("missing"),
            "rows": sum(entry["row_count"] for entry in datasets.values()),
            "checks": len(all_checks),
            "checks_failed": sum(c["status"] == "fail" for c in all_checks),
            "checks_warned": sum(c["status"] == "warn" for c in all_checks),
            "quarantined_records": sum(entry["quarantined_records"] for entry in datasets.values()),
        },
        "datasets": datasets,
        "integrity": integrity_results(checked),
    }


def results_bytes(results: dict) -> bytes:
    """Pretty JSON; non-finite numbers (an ``inf`` price) become null."""
    return orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"


def write_results(zone: RawZone, results: dict) -> tuple[UPath, Manifest]:
    path = zone.reports_dir(results["partition"]) / REPORT_JSON
    sources = {name: entry["files"] for name, entry in results["datasets"].items()}
    manifest = write_data_file(
        path, results_bytes(results), dataset=REPORT_DATASET, partition=results["partition"], record_count=1,
        fmt="json", source=Derived(derived="quality_results", inputs={"files_per_dataset": sources}),
    )
    return path, manifest


def _is_day(name: str) -> bool:
    try:
        return date.fromisoformat(name).isoformat() == name
    except ValueError:
        return False


def history(zone: RawZone, day: date | str, days: int = 30) -> list[dict]:
    """Results of up to ``days`` earlier partitions (oldest first), from their verified JSON files."""
    folder = zone.root / "reports"
    if not folder.exists():
        return []
    earlier = sorted(p.name for p in folder.iterdir() if p.is_dir() and _is_day(p.name) and p.name < str(day))[-days:]
    found = []
    for name in earlier:
        for path, manifest in complete_files(zone.reports_dir(name), REPORT_JSON):
            found.append(orjson.loads(read_verified_bytes(path, manifest)))
    return found
