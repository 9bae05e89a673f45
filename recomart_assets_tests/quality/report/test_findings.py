"""The findings as text: which rows a day's change sections give, the printed warnings, the UI's markdown."""

from __future__ import annotations

from recomart_assets.quality.report.findings import NOTHING, changes_markdown, findings, warning_lines


def _results() -> dict:
    return {
        "anomalies": [
            {"dataset": "clickstream", "metric": "row_count", "value": 6, "expected_range": [750, 1250],
             "days_compared": ["2026-01-01", "2026-01-02", "2026-01-03"], "basis": "rolling"},
            {"dataset": "transactions", "metric": "null_share: rating", "value": 0.25, "expected_range": [0.0, 0.01],
             "days_compared": ["2025-12-29"], "basis": "same weekday",
             "acknowledged": {"by": "ana", "until": "2026-01-31", "why": "a | in the reason"}},
        ],
        "drift": {
            "schema": [{"dataset": "clickstream", "added": {"campaign": "string"}, "removed": ["device"],
                        "retyped": {}, "compared_with": "2026-01-03"}],
            "distributions": [
                {"dataset": "clickstream", "metric": "event_type", "psi": 0.31, "level": "major",
                 "days_compared": ["2026-01-01", "2026-01-02"]},
                {"dataset": "clickstream", "metric": "device", "psi": 0.01, "level": "stable", "days_compared": []},
            ],
        },
        "freshness": [
            {"dataset": "transactions", "status": "missing", "deadline": "2026-01-04T06:00:00+00:00"},
            {"dataset": "product_catalog", "status": "on time", "deadline": "2026-01-04T06:00:00+00:00"},
        ],
        "changes": {"warnings": 4, "acknowledged": 1, "history": {"clickstream": {"judged": True}}},
    }


def test_every_finding_is_a_row_and_stable_or_on_time_ones_are_not():
    rows = findings(_results())
    assert [(r["kind"], r["dataset"], r["metric"]) for r in rows] == [
        ("anomaly", "clickstream", "row_count"), ("anomaly", "transactions", "null_share: rating"),
        ("schema drift", "clickstream", "schema"), ("distribution drift", "clickstream", "event_type"),
        ("freshness", "transactions", "freshness")]
    assert rows[0]["expected"] == "750 .. 1,250" and rows[0]["compared"] == "3 days"
    assert rows[1]["compared"] == "1 same weekday" and rows[1]["status"].startswith("acknowledged by ana")
    assert rows[2]["today"] == "added campaign (string); removed device"
    assert rows[3]["today"] == "PSI 0.310 (major)"


def test_warning_lines_leave_out_what_is_acknowledged():
    lines = warning_lines(_results())
    assert len(lines) == 4 and not any("null_share" in line for line in lines)
    assert lines[0].startswith("ANOMALY  clickstream  row_count: 6 (expected 750 .. 1,250")


def test_the_markdown_is_one_table_row_per_finding_with_pipes_escaped():
    markdown = changes_markdown(_results())
    assert markdown.startswith("**What changed**: 4 findings warn, 1 acknowledged; anomalies judged on every dataset")
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 5 and all(row.count(" | ") == 6 for row in rows)
    assert "a / in the reason" in rows[1]


def test_a_day_without_findings_says_so():
    assert changes_markdown({"changes": {"history": {}}}).endswith(NOTHING)
    assert warning_lines({}) == []
