"""The out-of-core engine (DuckDB) against the reference engine (pandas) on the same partitions.

Every check's failure count must agree on every defect the schemas know; on the fixture and on a
day made by the demo's simulators the whole report must agree (samples included) and so must the
metric states, so switching engines changes no number in any report.
"""

from __future__ import annotations

import orjson
import pandas as pd
import pytest

from recomart_assets import datasets
from recomart_assets.errors import CorruptFileError
from recomart_assets.lake import RawZone, complete_files
from recomart_assets.quality.engines import duckdb_engine, pandas_engine
from recomart_assets.quality.engines.references import load_references
from recomart_assets.quality.results import results_of
from recomart_assets.quality.states import state_of
from recomart_assets.sources.clickstream.seal import seal_partition
from recomart_assets_tests.fixtures.quality import DAY, build_demo_zone, click_events, write_csv, write_jsonl
from recomart_assets_tests.quality.rules import test_schemas as scenarios

ENGINES = {"pandas": pandas_engine.validate_partition, "duckdb": duckdb_engine.validate_partition}


def outcomes(zone: RawZone, engine: str, day: str = DAY) -> dict:
    references = load_references(zone, day)
    return {name: ENGINES[engine](zone, name, day, references) for name in datasets.names()}


def state_numbers(outcome) -> dict:
    state = state_of(outcome, {}, 0.05)
    return {k: v for k, v in vars(state).items() if k not in ("computed_at", "engine")}


@pytest.mark.parametrize("build", ["fixture", "demo"])
def test_reports_and_states_are_identical(build, zone, fixture_zone):
    if build == "demo":
        zone = build_demo_zone(zone)
    else:
        zone = fixture_zone
    reference, duck = outcomes(zone, "pandas"), outcomes(zone, "duckdb")
    expected, found = results_of(DAY, reference), results_of(DAY, duck)
    expected.pop("generated_at"), found.pop("generated_at")
    assert found == expected
    for name in datasets.names():
        assert state_numbers(duck[name]) == state_numbers(reference[name]), name
    if build == "demo":  # the day has defects of every kind, so the comparison means something
        failing = {c["name"] for entry in expected["datasets"].values() for c in entry["checks"] if c["failure_count"]}
        assert len(failing) >= 15
        assert expected["datasets"]["clickstream"]["columns"]["campaign"]["null_count"] > 0


def _write(zone: RawZone, dataset: str, frame: pd.DataFrame) -> None:
    if datasets.get(dataset).format == "jsonl":
        records = [{k: v for k, v in row.items() if v is not None and v == v} for row in frame.to_dict("records")]
        write_jsonl(zone, "events.jsonl", [{k: (str(v) if not isinstance(v, str) else v) for k, v in r.items()}
                                           for r in records])
    else:
        write_csv(zone, dataset, "part.csv", frame.to_dict("records"))


def _defect_frames() -> list[tuple[str, str, pd.DataFrame]]:
    """The schema tests' defects, each as a partition of its dataset."""
    t, c, s = scenarios.transactions, scenarios.clickstream, scenarios.set_rows
    frames = [
        ("transactions", "ratings", s(t(), "rating", range(1, 11), 7)),
        ("transactions", "quantities", s(s(t(), "quantity", range(3), 0), "quantity", [5, 6], "1.5")),
        ("transactions", "prices", s(t(), "price", range(4), "abc")),
        ("transactions", "ids", s(s(t(), "customer_id", [5], "X1"), "product_id", range(6, 9), "P999999")),
        ("transactions", "timestamps", s(s(t(), "timestamp", range(7), "2026-01-06T01:00:00Z"), "timestamp",
                                         [9, 10], "yesterday")),
        ("transactions", "duplicates", pd.concat([t(), t().head(5)], ignore_index=True)),
        ("transactions", "missing column", t().drop(columns=["price"])),
        ("transactions", "extra column", t().assign(coupon="X")),
        ("clickstream", "enums", s(s(c(), "event_type", range(3), "hover"), "device", range(4, 8), "fax")),
        ("clickstream", "ids", s(s(c(), "event_id", [1, 2], "e0"), "user_id", range(3, 6), "C999999")),
        ("clickstream", "products", s(c(), "product_id", [0, 1, 2], None)),
        ("clickstream", "extra field", c().assign(campaign="spring")),
        ("customers", "e-mails", s(s(scenarios.CUSTOMERS.copy(), "email", range(3), "not-an-email"),
                                   "signup_date", [4], "2026-02-01")),
        ("product_catalog", "prices", s(s(scenarios.CATALOG.copy(), "price", range(2), -1.0), "product_id", [3], "X-1")),
        ("external_metadata", "scores", s(s(s(scenarios.external_metadata(), "popularity_score", range(2), 150),
                                            "trend", range(4), "up"), "review_count", range(5), -1)),
    ]
    return frames


@pytest.mark.parametrize(("dataset", "defect", "frame"), _defect_frames(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_check_counts_the_same_failures(dataset, defect, frame, zone):
    for name in ("product_catalog", "customers"):
        if name != dataset:
            write_csv(zone, name, f"{name}.csv", scenarios.CLEAN[name]().to_dict("records"))
    _write(zone, dataset, frame)
    references = load_references(zone, DAY)
    expected = pandas_engine.validate_partition(zone, dataset, DAY, references).validation
    found = duckdb_engine.validate_partition(zone, dataset, DAY, references).validation
    assert {c.name: c.failure_count for c in found.checks} == {c.name: c.failure_count for c in expected.checks}
    assert [c.status for c in found.checks] == [c.status for c in expected.checks]
    assert (found.failed_rows, found.row_count, found.status) == (expected.failed_rows, expected.row_count, expected.status)
    assert any(c.failure_count for c in expected.checks) or defect == "extra field"


def test_big_days_estimate_distinct_counts(fixture_zone):
    references = load_references(fixture_zone, DAY)
    outcome = duckdb_engine.validate_partition(fixture_zone, "transactions", DAY, references, exact_distinct_rows=5)
    assert outcome.distinct_method == "hll"
    exact = duckdb_engine.validate_partition(fixture_zone, "transactions", DAY, references)
    assert exact.distinct_method == "exact"
    assert outcome.columns["price"]["distinct_count"] == pytest.approx(exact.columns["price"]["distinct_count"], abs=1)


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_a_file_that_does_not_match_its_manifest_is_refused(engine, fixture_zone):
    path = fixture_zone.partition_dir("transactions", DAY) / "ingested_b.csv"
    path.write_bytes(path.read_bytes().replace(b"abc", b"12.5"))  # changed behind the manifest's back
    with pytest.raises(CorruptFileError, match="does not match its manifest"):
        ENGINES[engine](fixture_zone, "transactions", DAY, load_references(fixture_zone, DAY))


def test_a_sealed_day_is_read_with_the_fields_its_seal_recorded(zone, monkeypatch):
    """The seal records each file's fields; the DuckDB engine then reads no file for its keys, a file
    added after the seal (a new field in it) is read for them, and the report is the reference's."""
    zone = build_demo_zone(zone)
    seal_partition(zone, "reco_clickstream", DAY, force=True)
    write_jsonl(zone, "late.jsonl", [{**click_events()[0], "event_id": "late-1", "coupon": "X1"}])
    recorded = duckdb_engine.recorded_fields(zone, datasets.get("clickstream"), DAY, *_files_and_paths(zone))
    assert recorded and all(not path.endswith("late.jsonl") for path in recorded)
    read_for_keys: list[list[str]] = []
    discover = duckdb_engine.json_fields

    def spying(connection, paths, known=None, widths=None):
        read_for_keys.append([p for p in paths if p not in (known or {})])
        return discover(connection, paths, known, widths)

    monkeypatch.setattr(duckdb_engine, "json_fields", spying)
    references = load_references(zone, DAY)
    duck = duckdb_engine.validate_partition(zone, "clickstream", DAY, references)
    reference = pandas_engine.validate_partition(zone, "clickstream", DAY, references)
    assert [[p.rsplit("/", 1)[-1] for p in paths] for paths in read_for_keys] == [["late.jsonl"]]
    assert duck.observed_schema == reference.observed_schema and duck.observed_schema["coupon"] == "string"
    assert results_of(DAY, {"clickstream": duck})["datasets"] == results_of(DAY, {"clickstream": reference})["datasets"]


def _files_and_paths(zone: RawZone) -> tuple[list, list[str]]:
    files = list(complete_files(zone.partition_dir("clickstream", DAY), "*.jsonl"))
    return files, [path.path for path, _ in files]


def test_both_engines_list_a_days_fields_in_the_same_order(zone, fixture_zone):
    first = {**click_events()[0], "event_id": "e-rare"}
    first = {k: first[k] for k in ("event_id", "user_id")} | {"coupon": "X1"} | first  # a rare key, early
    write_jsonl(fixture_zone, "early.jsonl", [first, *click_events()[1:]])
    references = load_references(fixture_zone, DAY)
    duck = duckdb_engine.validate_partition(fixture_zone, "clickstream", DAY, references)
    reference = pandas_engine.validate_partition(fixture_zone, "clickstream", DAY, references)
    assert list(duck.columns) == list(reference.columns) and list(duck.observed_schema) == list(reference.observed_schema)
    assert list(duck.columns).index("coupon") > list(duck.columns).index("timestamp")  # after the common keys


def _clickstream(zone: RawZone) -> dict:
    references = load_references(zone, DAY)
    duck = duckdb_engine.validate_partition(zone, "clickstream", DAY, references)
    return {"results": results_of(DAY, {"clickstream": duck})["datasets"], "state": state_numbers(duck)}


@pytest.mark.parametrize("case", ["current", "damaged", "stale", "many keys"])
def test_a_day_read_from_its_columnar_copies_gives_the_raw_files_results(case, zone, monkeypatch, caplog):
    """A sealed day is validated from the copies its seal wrote, with every number, sample and state
    of the raw files; a damaged copy, one a rewritten file made stale, or a day whose keys are not all
    columns (counted in the raw files) is read raw, with the same results."""
    zone = build_demo_zone(zone)
    if case == "many keys":
        write_jsonl(zone, "wide.jsonl", [{**e, **{f"k{i}": i for i in range(30)}} for e in click_events()])
    raw = _clickstream(zone)
    seal_partition(zone, "reco_clickstream", DAY, force=True)
    files = list(complete_files(zone.partition_dir("clickstream", DAY), "*.jsonl"))
    copies = duckdb_engine.columnar_copies(zone, datasets.get("clickstream"), DAY, files)
    assert copies is not None and len(copies) == len(files)
    if case == "damaged":  # bytes flipped inside its data, its size unchanged
        data = copies[0].path.read_bytes()
        middle = len(data) // 2
        copies[0].path.write_bytes(data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 16]) + data[middle + 16:])
    if case == "stale":  # rewritten with one event more: the copy no longer describes it
        first = click_events()[0]
        write_jsonl(zone, files[0][0].name, [*map(orjson.loads, files[0][0].read_bytes().splitlines()), first])
        raw = _clickstream(zone)
    read = {"copies": 0, "raw": 0}
    for name, key in (("load_copies", "copies"), ("load_table", "raw")):
        loader = getattr(duckdb_engine, name)
        monkeypatch.setattr(duckdb_engine, name, lambda *args, _loader=loader, _key=key, **kwargs: (
            read.__setitem__(_key, read[_key] + 1), _loader(*args, **kwargs))[1])
    assert _clickstream(zone) == raw
    expected = {"current": {"copies": 1, "raw": 0}, "damaged": {"copies": 1, "raw": 1},
                "stale": {"copies": 0, "raw": 1}, "many keys": {"copies": 1, "raw": 1}}[case]
    assert read == expected
    assert ("reading the raw files instead" in caplog.text) == (case in ("damaged", "many keys"))
