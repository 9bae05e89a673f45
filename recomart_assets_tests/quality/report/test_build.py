"""The JSON results match hand-computed numbers; the PDF opens, has its pages and key numbers."""

from __future__ import annotations

import io

import orjson
import pypdf

from recomart_assets.lake import complete_files, read_manifest, verify_tree
from recomart_assets.quality import write_quality_report
from recomart_assets.quality.changes.acknowledgements import Acknowledgement, write_acknowledgement
from recomart_assets_tests.fixtures.quality import DAY, catalog_rows, write_csv


def check(entry: dict, name: str) -> dict:
    return next(c for c in entry["checks"] if c["name"] == name)


def test_json_results_match_hand_computed_numbers(fixture_zone):
    report = write_quality_report(fixture_zone, DAY)
    results = orjson.loads(report.json_path.read_bytes())
    assert results["partition"] == DAY and results["overall_status"] == "fail"
    datasets = results["datasets"]
    assert {n: d["row_count"] for n, d in datasets.items()} == {
        "product_catalog": 6, "customers": 4, "transactions": 10, "clickstream": 6, "external_metadata": 0}
    assert {n: d["duplicate_rows"] for n, d in datasets.items()} == {
        "product_catalog": 1, "customers": 0, "transactions": 1, "clickstream": 0, "external_metadata": 0}
    assert datasets["external_metadata"]["status"] == "missing"
    assert datasets["transactions"]["quarantined_records"] == 2 and datasets["transactions"]["files"] == 2
    assert datasets["clickstream"]["files"] == 2  # the partition summary file is not data
    transactions = datasets["transactions"]
    assert check(transactions, "rating: in_range(1, 5)")["failure_count"] == 2
    assert check(transactions, "rating: in_range(1, 5)")["samples"] == ["7"]
    assert check(transactions, "price: type number")["failure_count"] == 1
    assert check(transactions, "timestamp: within partition day")["failure_count"] == 1
    assert check(transactions, "product_id: in product_catalog")["samples"] == ["P000099"]
    # rows 1, 2 (rating), 3 (product), 4 (day), 5 (price), 9 (duplicate of row 0)
    assert transactions["failed_rows"] == 6 and transactions["failure_rate"] == 0.6
    assert transactions["columns"]["price"] == {"null_count": 0, "null_share": 0.0, "distinct_count": 9,
                                                "min": 9.5, "max": 17.5}
    assert transactions["distributions"]["rating"]["values"] == [3, 1, 1, 2, 1]
    assert sum(transactions["distributions"]["purchases per category"]["values"]) == 9  # P000099 has no category
    assert check(datasets["clickstream"], "device: one of web|ios|android")["failure_count"] == 1
    assert check(datasets["customers"], "email: format e-mail")["samples"] == ["not-an-email"]
    integrity = {(i["dataset"], i["column"]): i for i in results["integrity"]}
    assert integrity[("transactions", "product_id")]["unmatched"] == 1
    assert integrity[("transactions", "product_id")]["checked"] == 10
    assert integrity[("clickstream", "user_id")]["unmatched"] == 0
    assert results["summary"]["quarantined_records"] == 2 and results["summary"]["datasets_missing"] == 1
    sizes = sum(m.bytes for _, m in complete_files(fixture_zone.partition_dir("transactions", DAY), "ingested_*.csv"))
    assert transactions["bytes"] == sizes
    assert read_manifest(report.json_path).dataset == "data_quality_report"
    assert verify_tree(fixture_zone.root).ok


def pdf_text(path) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_has_pages_metadata_and_key_numbers(fixture_zone):
    write_csv(fixture_zone, "product_catalog", "product_catalog_2026-01-04.csv", catalog_rows(), day="2026-01-04")
    write_quality_report(fixture_zone, "2026-01-04")  # an earlier partition for the trends
    report = write_quality_report(fixture_zone, DAY)
    reader, text = pdf_text(report.pdf_path)
    # cover, what changed, 2 pages for each of 4 present datasets, 1 for the missing one, integrity, ingestion, trends
    assert len(reader.pages) == 14
    assert reader.metadata.title == f"RecoMart data quality report {DAY}"
    assert reader.metadata.creation_date is not None
    first = reader.pages[0].extract_text()
    assert "Overall status" in first and "FAIL" in first and "60.00%" in first
    for expected in ("transactions: metrics and checks", "clickstream: distributions", "Cross-table integrity",
                     "Ingestion", "Trends", "2 partitions", "P000099", "not-an-email", "rating: in_range(1, 5)",
                     "Dataset missing for this partition"):
        assert expected in text, expected
    # A whole duplicate row as sample is clipped inside its cell, not run over the page.
    assert "transaction_id=T0000, customer_id=C000001,..." in text and "rating=1, timestamp=" not in text
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 in points


def test_empty_raw_zone_reports_every_dataset_missing(zone):
    report = write_quality_report(zone, DAY)
    assert report.overall_status == "warn"
    assert {d["status"] for d in report.results["datasets"].values()} == {"missing"}
    reader, _ = pdf_text(report.pdf_path)
    assert len(reader.pages) == 2 + 5 + 3


def test_an_acknowledgement_silencing_everything_is_on_the_cover(fixture_zone):
    plain = write_quality_report(fixture_zone, DAY).results
    assert plain["acknowledgements"] == {"all_metrics": [], "warning": None}
    write_acknowledgement(fixture_zone, Acknowledgement("transactions", "*", "ana", "migration week", "2026-12-31",
                                                        all_metrics=True, created_at="2026-01-01T00:00Z"))
    report = write_quality_report(fixture_zone, DAY)
    notice = orjson.loads(report.json_path.read_bytes())["acknowledgements"]
    assert [a["dataset"] for a in notice["all_metrics"]] == ["transactions"]
    assert notice["all_metrics"][0]["by"] == "ana" and "transactions" in notice["warning"]
    reader, _ = pdf_text(report.pdf_path)
    cover = " ".join(reader.pages[0].extract_text().split())
    assert "silences every metric and check of transactions" in cover
