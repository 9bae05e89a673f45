"""The demo's scorecard pairs injected defects with what validation and quarantine found."""

from __future__ import annotations

import json

from recomart_assets.lake.lineage import LandingFile
from recomart_assets.lake.manifest import write_data_file
from recomart_assets.platform.scorecard import (
    REPORT_JSON,
    ScoreRow,
    foreign_transaction_files,
    transaction_scorecard,
)

DAYS = ("2026-01-05", "2026-01-06")


def _report(zone, day, counts):
    checks = [{"name": name, "failure_count": n} for name, n in counts.items()]
    data = json.dumps({"datasets": {"transactions": {"checks": checks}}}).encode()
    write_data_file(zone.reports_dir(day) / REPORT_JSON, data, dataset="report", partition=day, record_count=1,
                    fmt="json", source={"kind": "manual"})


def _file(folder, name, records=1, landing_file="drop.csv"):
    write_data_file(folder / name, b"x\n" * records, dataset="transactions", partition=None,
                    record_count=records, fmt="csv", source=LandingFile(landing_file=landing_file, sha256="0" * 64))


def test_injected_and_found_are_summed_over_days_and_quarantine(zone):
    _report(zone, DAYS[0], {"no duplicate rows": 2, "price: not null": 1, "customer_id: not null": 1})
    _report(zone, DAYS[1], {"no duplicate rows": 1, "product_id: in product_catalog": 4})
    _file(zone.quarantine_dir("transactions", DAYS[0]), "rejected_a.csv", records=3)
    _file(zone.quarantine_dir("transactions", DAYS[1]), "whole.csv")
    rows = {r.defect: r for r in transaction_scorecard(zone, DAYS, {"duplicate_rows": 3, "missing_values": 1,
                                                                     "unknown_product": 4, "malformed_lines": 3,
                                                                     "files_extra_column": 1})}
    assert rows["duplicate_rows"] == ScoreRow("duplicate_rows", 3, 3, "validation") and rows["duplicate_rows"].ok
    assert (rows["missing_values"].found, rows["missing_values"].ok) == (2, False)
    assert rows["rating_out_of_range"].ok  # 0 and 0
    assert rows["unparseable_timestamp + malformed_lines"].found == 3
    assert rows["files_extra_column + files_missing_column"].found == 1


def test_foreign_files_are_those_from_other_landing_files(zone):
    folder = zone.partition_dir("transactions", DAYS[0])
    _file(folder, "ingested_1.csv", landing_file="ours.csv")
    _file(folder, "ingested_2.csv", landing_file="earlier_demo.csv")
    assert foreign_transaction_files(zone, DAYS, ["ours.csv"]) == ["ingested_2.csv"]
