"""What changed on the fixture day against hand-written earlier states: the JSON sections, the
acknowledgements, the "What changed" PDF page (read back with a PDF text extractor) and the UI summary."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from recomart_assets.quality.changes.acknowledgements import new_acknowledgement, write_acknowledgement
from recomart_assets.quality.changes.what_changed import with_changes
from recomart_assets.quality.report.build import summary_markdown, write_quality_report
from recomart_assets.quality.results import build_results
from recomart_assets_tests.fixtures.metric_states import write_busy_clickstream_week
from recomart_assets_tests.fixtures.quality import DAY
from recomart_assets_tests.quality.report.test_build import pdf_text


def test_the_sections_name_what_changed_and_acknowledgements_silence_it(fixture_zone):
    days = write_busy_clickstream_week(fixture_zone, DAY)
    results = with_changes(fixture_zone, build_results(fixture_zone, DAY))
    (rows,) = [a for a in results["anomalies"] if a["metric"] == "row_count"]
    assert rows["dataset"] == "clickstream" and rows["value"] == 6 and rows["expected_range"] == [750, 1250]
    assert rows["days_compared"] == days and rows["series"] == [[d, 1000] for d in days] + [[DAY, 6]]
    (schema,) = results["drift"]["schema"]
    assert schema["added"] == {"session_id": "string", "search_term": "null"} and schema["compared_with"] == days[-1]
    freshness = {f["dataset"]: f for f in results["freshness"]}
    assert freshness["external_metadata"]["status"] == "missing"  # the fixture has none, and 2026-01-05 is long past
    assert freshness["clickstream"]["status"] == "late" and freshness["clickstream"]["deadline"] == "2026-01-06T02:00:00Z"
    assert results["changes"]["history"]["clickstream"] == {"judged": True, "days_of_history": 7}
    assert not results["changes"]["history"]["transactions"]["judged"]
    assert results["changes"]["warnings"] == len(results["anomalies"]) + 1 + 1  # + schema drift + missing metadata

    for dataset, metric, until in (("clickstream", "row_count", "2026-01-31"), ("clickstream", "schema", "2026-01-31"),
                                   ("external_metadata", "freshness", "2026-01-04"),
                                   ("customers", "check:email: *", "2026-01-31")):
        write_acknowledgement(fixture_zone, new_acknowledgement(dataset, metric, "ana", "known", until))
    again = with_changes(fixture_zone, build_results(fixture_zone, DAY))
    (rows,) = [a for a in again["anomalies"] if a["metric"] == "row_count"]
    assert rows["acknowledged"]["by"] == "ana" and "acknowledged" in again["drift"]["schema"][0]
    metadata = {f["dataset"]: f for f in again["freshness"]}["external_metadata"]
    assert metadata["acknowledgement_expired"]["until"] == "2026-01-04" and "acknowledged" not in metadata
    email = next(c for c in again["datasets"]["customers"]["checks"] if c["name"] == "email: format e-mail")
    assert email["status"] == "fail" and email["acknowledged"]["why"] == "known"
    assert again["datasets"]["customers"]["status"] == "pass"  # its only failure is acknowledged
    assert again["changes"]["warnings"] == results["changes"]["warnings"] - 2
    assert again["changes"]["acknowledged"] == 3


def test_the_what_changed_page_follows_the_cover(fixture_zone):
    write_busy_clickstream_week(fixture_zone, DAY)
    write_acknowledgement(fixture_zone, new_acknowledgement("clickstream", "schema", "ana", "SDK 7.4 adds session ids",
                                                            "2026-01-31"))
    report = write_quality_report(fixture_zone, DAY)
    reader, _ = pdf_text(report.pdf_path)
    page = reader.pages[1].extract_text()
    for expected in ("What changed", "Findings (3)", "ANOMALY", "clickstream", "row_count: 6 (expected 750 .. 1,250; "
                     "compared with 7 days)", "SCHEMA DRIFT", "added session_id (string)",
                     "acknowledged by ana until 2026-01-31: SDK 7.4 adds session ids", "FRESHNESS",
                     "external_metadata", "missing", "Freshness", "deadline"):
        assert expected in page, expected
    assert "What changed" in reader.pages[0].extract_text()  # in the cover's contents
    stored = orjson.loads(report.json_path.read_bytes())
    assert stored["anomalies"] == report.results["anomalies"] and stored["drift"]["schema"][0]["acknowledged"]
    markdown = summary_markdown(report.results)
    assert "**What changed**" in markdown and "| anomaly | clickstream | row_count | 6 | 750 .. 1,250 |" in markdown


def test_a_quiet_day_says_nothing_changed(zone):
    report = write_quality_report(zone, DAY)
    _, text = pdf_text(report.pdf_path)
    assert "Nothing unusual" not in text  # every source is missing on an empty zone: freshness warns
    assert report.results["anomalies"] == [] and report.results["drift"] == {"schema": [], "distributions": []}
    assert {f["status"] for f in report.results["freshness"]} == {"missing"}
    later = datetime(2026, 1, 5, 1, tzinfo=UTC)  # before every deadline of the day: nothing is due yet
    pending = with_changes(zone, build_results(zone, DAY), now=later)
    assert {f["status"] for f in pending["freshness"]} == {"pending"} and pending["changes"]["warnings"] == 0
    assert "Nothing unusual" in summary_markdown(pending)
