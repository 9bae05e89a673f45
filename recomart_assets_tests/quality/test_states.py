"""Metric states: the agreed format, one validation shared by checks and report, staleness, trends
from states alone."""

from __future__ import annotations

import shutil

import orjson
import pytest

from recomart_assets import datasets
from recomart_assets.lake import read_manifest, verify_tree
from recomart_assets.quality import history, read_state, read_states, validate, write_quality_report
from recomart_assets.quality import validation as validate_module
from recomart_assets.quality.states import state_path
from recomart_assets_tests.fixtures.quality import DAY, build_fixture_zone, transaction_rows, write_csv

AGREED = {"state_version", "dataset", "partition", "computed_at", "files", "missing", "row_count", "duplicate_rows",
          "quarantined_records", "columns", "schema", "checks", "histograms", "segments", "segment_nulls"}


@pytest.fixture
def engine_runs(monkeypatch) -> list[tuple[str, str]]:
    """Each (dataset, day) an engine validated, recorded around the real engine."""
    runs: list[tuple[str, str]] = []
    real = validate_module.engine_named

    def recording(name):
        engine = real(name)

        def run(zone, dataset, day, references, fail_rate):
            runs.append((dataset, day))
            return engine(zone, dataset, day, references, fail_rate)

        return run

    monkeypatch.setattr(validate_module, "engine_named", recording)
    return runs


def test_state_has_the_agreed_shape(fixture_zone):
    validate(fixture_zone, "clickstream", DAY)
    raw = orjson.loads(state_path(fixture_zone, "clickstream", DAY).read_bytes())
    assert AGREED <= set(raw) and raw["state_version"] == 1
    state = read_state(fixture_zone, "clickstream", DAY)
    assert (state.row_count, state.duplicate_rows, state.missing) == (6, 0, False)
    assert state.columns["device"] == {"null_count": 0, "distinct_count": 2, "type": "string"}
    assert state.columns["timestamp"]["type"] == "timestamp" and state.columns["timestamp"]["min"].startswith(DAY)
    assert state.schema["event_id"] == "string" and state.schema["search_term"] == "null"
    assert state.checks["device: one of web|ios|android"] == {"status": "fail", "failure_count": 1}
    assert state.segments["device"] == {"web": 5, "fax": 1} and sum(state.segments["hour"].values()) == 6
    assert state.segment_nulls["device"]["web"]["search_term"] == 5
    assert state.histograms["event types"] == {"kind": "counts", "labels": ["view", "click", "add_to_cart"], "values": [3, 2, 1]}
    assert [f["file"] for f in state.files] == ["events_00.jsonl", "events_01.jsonl"]
    assert read_manifest(state_path(fixture_zone, "clickstream", DAY)).dataset == "data_quality_state"
    assert verify_tree(fixture_zone.root).ok
    assert read_state(fixture_zone, "clickstream", "2026-01-04") is None
    assert set(read_states(fixture_zone, "clickstream", ["2026-01-04", DAY])) == {DAY}


def test_report_after_the_checks_validates_nothing_again(fixture_zone, engine_runs):
    checked = {name: validate(fixture_zone, name, DAY) for name in datasets.names()}  # what the asset checks do
    assert len(engine_runs) == len(datasets.names())
    report = write_quality_report(fixture_zone, DAY)
    assert len(engine_runs) == len(datasets.names())  # the report read the five states
    for name, outcome in checked.items():
        assert [c["failure_count"] for c in report.results["datasets"][name]["checks"]] == [
            c.failure_count for c in outcome.validation.checks]
    # a new file in one partition makes that dataset's state stale: only it is validated again
    write_csv(fixture_zone, "transactions", "ingested_c.csv", transaction_rows()[:2])
    again = write_quality_report(fixture_zone, DAY)
    assert engine_runs[len(datasets.names()):] == [("transactions", DAY)]
    assert again.results["datasets"]["transactions"]["row_count"] == 12


def test_changed_reference_makes_dependent_states_stale(fixture_zone, engine_runs):
    write_quality_report(fixture_zone, DAY)
    first = len(engine_runs)
    write_csv(fixture_zone, "customers", "customers_extra.csv",
              [{"customer_id": "C000099", "name": "X", "email": "x@example.com", "signup_date": "2025-01-01",
                "city": "Pune", "segment": "new"}])
    write_quality_report(fixture_zone, DAY)
    # every state records the references it was checked against: all are stale now
    assert sorted(d for d, _ in engine_runs[first:]) == sorted(datasets.names())


def test_trends_come_from_states_not_raw_files(tmp_path, engine_runs):
    from recomart_assets.lake import RawZone

    zone = RawZone.at(tmp_path / "raw_zone")
    zone.create_tree()
    build_fixture_zone(zone)
    for name in ("product_catalog", "customers", "transactions"):
        rows = transaction_rows() if name == "transactions" else None
        if rows:
            write_csv(zone, name, "ingested_a.csv", rows, day="2026-01-04")
    write_quality_report(zone, "2026-01-04")
    for folder in ("catalog", "customers", "transactions", "clickstream"):  # earlier raw files gone
        shutil.rmtree(zone.root / folder / "2026-01-04", ignore_errors=True)
    runs_before = len(engine_runs)
    report = write_quality_report(zone, DAY)
    assert {day for _, day in engine_runs[runs_before:]} == {DAY}
    earlier = history(zone, DAY)
    assert [point["partition"] for point in earlier] == ["2026-01-04"]
    assert earlier[0]["datasets"]["transactions"]["row_count"] == 10
    assert earlier[0]["summary"]["checks_failed"] > 0
    assert report.pdf_path.exists()
