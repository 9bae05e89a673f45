"""The day's quality results: the contract's JSON from each dataset's validation, written and read back for trends."""

from __future__ import annotations

import math

import orjson

from recomart_assets.lake import RawZone, read_verified_bytes
from recomart_assets.quality.engines import pandas_engine
from recomart_assets.quality.engines.references import load_references
from recomart_assets.quality.results import (
    REPORT_JSON,
    build_results,
    history,
    integrity_results,
    results_bytes,
    results_of,
    write_results,
)
from recomart_assets_tests.fixtures.metric_states import state, write_states
from recomart_assets_tests.fixtures.quality import DAY


def test_the_results_of_a_day_sum_up_its_datasets(fixture_zone: RawZone):
    results = build_results(fixture_zone, DAY, engine="pandas")
    assert results["partition"] == DAY and results["overall_status"] == "fail"
    assert set(results["datasets"]) == {"clickstream", "transactions", "external_metadata", "product_catalog",
                                        "customers"}
    summary = results["summary"]
    assert summary["datasets_missing"] == 1  # no external metadata that day
    assert summary["rows"] == 6 + 4 + 10 + 6 and summary["quarantined_records"] == 2
    checks = [c for entry in results["datasets"].values() for c in entry["checks"]]
    assert summary["checks"] == len(checks)
    assert summary["checks_failed"] == sum(c["status"] == "fail" for c in checks) > 0


def test_a_missing_dataset_only_warns():
    results = results_of(DAY, {})
    assert results["overall_status"] == "pass" and results["summary"]["rows"] == 0


def test_integrity_names_each_reference_check_with_its_share(fixture_zone: RawZone):
    references = load_references(fixture_zone, DAY)
    outcome = pandas_engine.validate_partition(fixture_zone, "transactions", DAY, references)
    rows = {(r["dataset"], r["column"]): r for r in integrity_results({"transactions": outcome})}
    products = rows[("transactions", "product_id")]
    assert products["reference"] == "product_catalog"
    assert (products["checked"], products["unmatched"], products["unmatched_share"]) == (10, 1, 0.1)
    assert products["samples"] == ["P000099"] and products["status"] == "fail"
    assert rows[("transactions", "customer_id")]["unmatched"] == 0


def test_results_are_written_as_pretty_json_with_a_manifest(zone: RawZone):
    results = {**results_of(DAY, {}), "odd": [math.inf]}
    assert orjson.loads(results_bytes(results))["odd"] == [None]  # non-finite numbers become null
    assert results_bytes(results).startswith(b'{\n  "partition"')
    path, manifest = write_results(zone, results)
    assert path == zone.reports_dir(DAY) / REPORT_JSON
    assert manifest.dataset == "data_quality_report" and manifest.partition == DAY
    assert orjson.loads(read_verified_bytes(path, manifest))["partition"] == DAY


def test_history_comes_from_states_or_else_the_earlier_report(zone: RawZone):
    checks = {"a": {"status": "fail"}, "b": {"status": "warn"}, "c": {"status": "pass"}}
    for day in ("2026-01-01", "2026-01-02", "2026-01-06"):
        zone.reports_dir(day).mkdir(parents=True, exist_ok=True)
        write_states(zone, "clickstream", {day: state(day, rows=200, failed_rows=50, checks=checks)})
    old = {**results_of("2026-01-03", {}), "partition": "2026-01-03"}
    write_results(zone, old)  # reported before states existed
    (zone.root / "reports" / "not-a-day").mkdir()
    found = history(zone, DAY)
    assert [point["partition"] for point in found] == ["2026-01-01", "2026-01-02", "2026-01-03"]  # earlier days only
    assert found[0]["datasets"] == {"clickstream": {"row_count": 200, "failure_rate": 0.25}}
    assert found[0]["summary"] == {"checks_failed": 1, "checks_warned": 1}
    assert found[2]["summary"] == old["summary"]
    assert [p["partition"] for p in history(zone, DAY, days=1)] == ["2026-01-03"]


def test_no_reports_no_history(zone: RawZone):
    assert history(zone, DAY) == []
