"""Does the platform find what the simulator injected? The demo's closing table.

The transaction simulator counts every defect it injects; validation and quarantine count what
they find. Each row pairs the two, summed over the report partitions: a mismatch means either a
defect slipped through or validation reports something that is not there. The comparison only
holds while those partitions contain nothing but this run's drops, which the demo checks first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from recomart_assets.lake import RawZone, complete_files, read_verified_bytes
from recomart_assets.lake.lineage import LandingFile

REPORT_JSON = "data_quality_report.json"

# simulator defect -> transactions checks (report JSON) whose failure counts add up to it
TRANSACTION_CHECKS = {
    "duplicate_rows": ("no duplicate rows",),
    "rating_out_of_range": ("rating: in_range(1, 5)",),
    "unknown_product": ("product_id: in product_catalog",),
    "missing_values": ("customer_id: not null", "product_id: not null", "quantity: not null", "price: not null"),
}
# simulator defects whose rows go to quarantine (rejected lines) or whose files do (whole files)
QUARANTINED_ROWS = ("unparseable_timestamp", "malformed_lines")
QUARANTINED_FILES = ("files_extra_column", "files_missing_column")


@dataclass(frozen=True)
class ScoreRow:
    """One injected defect: how many were injected, how many the pipeline found, and where it found them."""

    defect: str
    injected: int
    found: int
    where: str

    @property
    def ok(self) -> bool:
        """Every injected defect was found, and nothing more."""
        return self.injected == self.found


def _check_failures(zone: RawZone, days: Iterable[str]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for day in days:
        report = json.loads(read_verified_bytes(zone.reports_dir(day) / REPORT_JSON))
        for check in report["datasets"]["transactions"]["checks"]:
            totals[check["name"]] = totals.get(check["name"], 0) + check["failure_count"]
    return totals


def _quarantine(zone: RawZone) -> tuple[int, int]:
    """(rejected rows, quarantined whole files) under ``quarantine/transactions/``."""
    rows = files = 0
    folder = zone.root / "quarantine" / "transactions"
    for day in folder.iterdir() if folder.exists() else ():
        for path, manifest in complete_files(day):
            if path.name.startswith("rejected_"):
                rows += manifest.record_count
            elif path.name.endswith(".csv"):
                files += 1
    return rows, files


def foreign_transaction_files(zone: RawZone, days: Iterable[str], landing_files: Iterable[str]) -> list[str]:
    """Partition files of ``days`` that did not come from ``landing_files`` (e.g. an earlier demo)."""
    ours = set(landing_files)
    return [
        path.name
        for day in days
        for path, manifest in complete_files(zone.partition_dir("transactions", day), "ingested_*.csv")
        if not isinstance(manifest.source, LandingFile) or manifest.source.landing_file not in ours
    ]


def transaction_scorecard(zone: RawZone, days: Iterable[str], injected: Mapping[str, int]) -> list[ScoreRow]:
    """Injected vs found, per defect; meaningful only when ``days`` hold nothing but the injected data."""
    failures = _check_failures(zone, days)
    rows = [
        ScoreRow(defect, injected.get(defect, 0), sum(failures.get(name, 0) for name in checks), "validation")
        for defect, checks in TRANSACTION_CHECKS.items()
    ]
    rejected, files = _quarantine(zone)
    rows.append(ScoreRow(" + ".join(QUARANTINED_ROWS), sum(injected.get(k, 0) for k in QUARANTINED_ROWS),
                         rejected, "quarantine (rows)"))
    rows.append(ScoreRow(" + ".join(QUARANTINED_FILES), sum(injected.get(k, 0) for k in QUARANTINED_FILES),
                         files, "quarantine (files)"))
    return rows
