"""Names as data: JSON keys however hostile never stop a seal, a check or a report.

Keys are data. Whatever a key holds (quotes, backslashes, a newline, the empty string, the name of
one of the engine's own columns, a name that is another key but for case), the day is sealed, its
checks run on the known fields and its report is written; names that collide under a
case-insensitive engine's rules are reported as a schema finding. A day with hundreds of distinct
keys is validated within the memory budget: the known fields are checked, the others counted.
"""

from __future__ import annotations

import duckdb
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recomart_assets.errors import CorruptFileError, ScanError
from recomart_assets.lake import RawZone, scanning, write_data_file
from recomart_assets.lake.fields import MAX_EXTRA_COLUMNS, MAX_LISTED_FIELDS, MAX_RECORDED_FIELDS, shown
from recomart_assets.quality.engines import duckdb_engine, pandas_engine
from recomart_assets.quality.engines.profiling import CASE_COLLISIONS, add_field_name_checks
from recomart_assets.quality.engines.references import load_references
from recomart_assets.quality.engines.sql.compiler import Plan, load_query
from recomart_assets.quality.engines.sql.dialect import DUCKDB, SPARK
from recomart_assets.quality.engines.sql.passes import SqlValidation
from recomart_assets.quality.engines.sql.rule_compilers import compile_rules
from recomart_assets.quality.report.build import write_quality_report
from recomart_assets.quality.results import results_of
from recomart_assets.quality.rules.schemas import References, schema_for
from recomart_assets.sources.clickstream.seal import seal_partition
from recomart_assets_tests.fixtures.quality import DAY, click_events, transaction_rows, write_csv, write_jsonl

HOSTILE_KEYS = [
    "it's", 'say "hi"', "back\\slash", "\\", '\\"', "new\nline", "", " ", "é ☃ 𝄞", "x" * 5_000,
    "rowid", "__row", "__parsed_0", "__c0", "filename", "json", "*", "$.x", "a.b", "a[0]", "/", "~1",
    "Price", "price", "EVENT_ID", "Device", "select * from typed; --", "`tick`",
]


def _hostile_events() -> list[dict]:
    events = click_events()  # six events; the last one has an unknown device
    for index, key in enumerate(HOSTILE_KEYS):
        events[index % len(events)][key] = f"value of {index}"
    return events


def _case_collision(checks) -> dict | None:
    return next((c for c in checks if c["name"] == CASE_COLLISIONS), None)


def test_a_day_with_hostile_keys_is_sealed_checked_and_reported(zone: RawZone):
    events = _hostile_events()
    write_jsonl(zone, "h00-hostile.jsonl", events[:3])
    write_jsonl(zone, "h01-hostile.jsonl", events[3:])
    seal = seal_partition(zone, "reco_clickstream", DAY, force=True)
    assert seal["events"] == len(events) and seal["missing_event_ids"] == 0
    report = write_quality_report(zone, DAY)
    assert report.json_path.exists()
    entry = orjson.loads(report.json_path.read_bytes())["datasets"]["clickstream"]
    assert entry["row_count"] == len(events)
    checks = {c["name"]: c for c in entry["checks"]}
    assert checks["device: one of web|ios|android"]["failure_count"] == 1  # the known fields are checked
    assert checks["event_id: unique"]["failure_count"] == 1
    # every hostile key is a column with its own values, or (beyond the first few, or very long) counted
    counted = {f["field"]: f["events"] for f in entry["extra_fields"]["fields"]}
    for key in HOSTILE_KEYS:
        if key in entry["columns"]:
            assert entry["columns"][key]["null_count"] == len(events) - 1, repr(key)
        else:
            assert counted[shown(key)] == 1, repr(key)
    assert len(entry["columns"]) == 8 + MAX_EXTRA_COLUMNS and "x" * 5_000 not in entry["columns"]
    assert entry["extra_fields"]["distinct"] == len(HOSTILE_KEYS) - MAX_EXTRA_COLUMNS
    collision = _case_collision(entry["checks"])
    assert collision is not None and collision["status"] == "warn" and collision["group"] == "schema"
    assert collision["failure_count"] == 3  # Price/price, EVENT_ID/event_id, Device/device
    assert all(len(sample) <= 2_500 for sample in collision["samples"])
    assert any("Price" in s and "price" in s for s in collision["samples"])


def test_both_engines_agree_on_hostile_keys(zone: RawZone):
    write_jsonl(zone, "h00-hostile.jsonl", _hostile_events())
    references = load_references(zone, DAY)
    duck = duckdb_engine.validate_partition(zone, "clickstream", DAY, references)
    reference = pandas_engine.validate_partition(zone, "clickstream", DAY, references)
    expected = results_of(DAY, {"clickstream": reference})["datasets"]
    assert results_of(DAY, {"clickstream": duck})["datasets"] == expected
    assert duck.observed_schema == reference.observed_schema


def _wide_events(keys: int, events: int) -> list[dict]:
    base = click_events()[0]
    return [{**base, "event_id": f"e{i}", **{f"extra_{k:04d}": f"v{i % 7}" for k in range(keys)}} for i in range(events)]


@pytest.mark.timeout(120)
def test_a_wide_day_is_validated_within_the_memory_budget(zone: RawZone, monkeypatch):
    """400 keys x 10,000 events ran DuckDB out of its 512 MB: the known fields are checked, the first few
    extra keys profiled as columns, the others counted (bounded). Here 2,500 events in 300 MB, which
    every extra key typed as a column (the old way) still runs out of (the key pass alone needs about
    200 MB for 400 keys, whatever the number of events)."""
    _limit_duckdb(monkeypatch, "300MB")
    events = _wide_events(400, 2_500)
    for hour in range(4):
        write_jsonl(zone, f"h{hour:02d}-wide.jsonl", events[hour::4])
    del events
    references = load_references(zone, DAY)
    outcome = duckdb_engine.validate_partition(zone, "clickstream", DAY, references)
    assert outcome.validation.row_count == 2_500
    extras = [c for c in outcome.columns if c.startswith("extra_")]
    assert extras == [f"extra_{k:04d}" for k in range(MAX_EXTRA_COLUMNS)]
    assert outcome.extra_fields["distinct"] == 400 - MAX_EXTRA_COLUMNS
    assert len(outcome.extra_fields["fields"]) == MAX_LISTED_FIELDS
    assert outcome.extra_fields["fields"][0] == {"field": f"extra_{MAX_EXTRA_COLUMNS:04d}", "events": 2_500}
    assert len(outcome.observed_schema) == 8 + MAX_EXTRA_COLUMNS


@pytest.mark.parametrize("streamed", ["none", "some", "all"])
def test_both_engines_agree_on_a_wide_day(zone: RawZone, monkeypatch, streamed):
    """Wide files are streamed in Python (here: the files with 120 extra keys, or every file): the
    report is the reference engine's, rows in file order whichever way each file was read."""
    events = _wide_events(120, 40)
    events[3]["rare"] = "r"
    events[30]["device"] = "fax"
    narrow = [{**e, "event_id": f"n{i}", "device": "fax" if i == 1 else e["device"]} for i, e in enumerate(click_events())]
    monkeypatch.setattr(scanning, "WIDE_LINE_BYTES", {"none": 10**9, "some": 1_000, "all": -1}[streamed])
    write_jsonl(zone, "h00-narrow.jsonl", narrow)
    write_jsonl(zone, "h01-wide.jsonl", events[:20])
    write_jsonl(zone, "h02-narrow.jsonl", narrow)
    write_jsonl(zone, "h03-wide.jsonl", events[20:])
    references = load_references(zone, DAY)
    duck = duckdb_engine.validate_partition(zone, "clickstream", DAY, references)
    reference = pandas_engine.validate_partition(zone, "clickstream", DAY, references)
    assert results_of(DAY, {"clickstream": duck})["datasets"] == results_of(DAY, {"clickstream": reference})["datasets"]
    assert duck.extra_fields == reference.extra_fields and duck.extra_fields["distinct"] == 121 - MAX_EXTRA_COLUMNS
    assert duck.extra_fields["fields"][-1]["field"] != "rare"  # the most common first, capped


def _load(tmp_path, events: list[dict]):
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    connection = duckdb_engine.connect(str(tmp_path))
    schema = schema_for("clickstream", DAY)
    return connection, schema, duckdb_engine.load_table(connection, schema, "clickstream", [str(path)]).columns


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=st.lists(st.text(max_size=12), min_size=1, max_size=4, unique=True))
def test_any_key_binds_and_its_values_come_back_under_it(tmp_path, keys):
    """Arbitrary keys through the SQL compiler: the SQL binds on DuckDB, each key's values are its own,
    keys equal but for case are reported, never raised."""
    events = [{**event, **{key: f"{index}:{n}" for index, key in enumerate(keys)}}
              for n, event in enumerate(click_events())]
    connection, schema, columns = _load(tmp_path, events)
    try:
        plan = Plan(DUCKDB, "clickstream", DAY, schema, columns, References(), False)
        for key in keys:
            got = [v for (v,) in connection.execute(f"SELECT {plan.q(key)} FROM typed ORDER BY __row").fetchall()]
            assert got == [str(e[key]) if not isinstance(e[key], str) else e[key] for e in events], repr(key)
        validation, found = SqlValidation(duckdb_engine.DuckDBRunner(connection), plan, 0.05, 1_000).run()
        add_field_name_checks(validation, columns)  # as the engine does after the SQL pass
    finally:
        connection.close()
    assert validation.row_count == len(events)
    collides = {key.lower() for key in (*keys, *schema.columns)}
    expected = len(collides) < len(set(keys) | set(schema.columns))
    assert (_case_collision([c.to_dict() for c in validation.checks]) is not None) == expected


def test_hostile_names_never_reach_spark_sql():
    """Spark: the compiled SQL names columns by position; identifiers are backtick-quoted."""
    schema = schema_for("clickstream", DAY)
    columns = [*schema.columns, "a`b", "new\nline", "Price", "price", "rowid", ""]
    plan = Plan(SPARK, "clickstream", DAY, schema, columns, References(), False)
    sql = [load_query(SPARK, schema, columns, "raw_partition")]
    sql += [item.condition for item in compile_rules(plan) if item.condition]
    assert not any(name in text for text in sql for name in ("a`b", "new\nline", "Price", "rowid"))
    assert SPARK.quote("a`b") == "`a``b`" and DUCKDB.quote('a"b') == '"a""b"'


def test_a_csv_file_with_hostile_headers_is_checked(zone: RawZone):
    """A CSV written by another tool (the intake refuses unknown columns) may name its columns like the
    engine's own ones: its known columns are still checked and the extra ones reported."""
    rows = [{**row, "rowid": "r", "__row": "x", "it's": "1", 'a"b': "2", "": "3"} for row in transaction_rows()]
    write_csv(zone, "transactions", "ingested_hostile.csv", rows)
    outcome = duckdb_engine.validate_partition(zone, "transactions", DAY, load_references(zone, DAY))
    checks = {c.name: c for c in outcome.validation.checks}
    assert outcome.validation.row_count == len(rows)
    assert checks["rating: in_range(1, 5)"].failure_count == 2
    assert checks["no unexpected columns"].failure_count == 5


def _limit_duckdb(monkeypatch, limit: str) -> None:
    """Every DuckDB connection opened in the test gets ``limit`` as its memory limit."""
    real = duckdb.connect

    def connect(*args, config=None, **kwargs):
        return real(*args, config={**(config or {}), "memory_limit": limit}, **kwargs)

    monkeypatch.setattr(duckdb, "connect", connect)


@pytest.fixture
def small_duckdb(monkeypatch):
    """DuckDB with a 100 MB memory limit: what 1,000-key events do to 512 MB at 10,000 events, they do
    to 100 MB at a few thousand (its JSON functions work on 2,048 objects at a time per thread)."""
    _limit_duckdb(monkeypatch, "100MB")


def _report_entry(zone: RawZone) -> dict:
    report = write_quality_report(zone, DAY)
    return orjson.loads(report.json_path.read_bytes())["datasets"]["clickstream"]


@pytest.mark.timeout(60)
def test_a_day_of_wide_events_is_sealed_checked_and_reported(zone: RawZone, small_duckdb):
    """1,000 keys in every event (2,000 distinct): DuckDB ran out of memory in the seal (reported as
    "not JSON Lines") and in validation; the seal records a bounded part of each file's fields."""
    base = click_events()[0]
    events = [{**base, "event_id": f"e{i}", **{f"x{k:04d}": i % 7 for k in range((i % 2) * 1000, (i % 2) * 1000 + 1000)}}
              for i in range(3_000)]
    events[5]["device"] = "fax"
    for hour in range(3):
        write_jsonl(zone, f"h{hour:02d}-wide.jsonl", events[hour::3])
    del events
    seal = seal_partition(zone, "reco_clickstream", DAY, force=True)
    assert seal["events"] == 3_000 and seal["distinct_event_ids"] == 3_000 and seal["events_per_type"] == {"view": 3_000}
    seal_file = zone.partition_dir("clickstream", DAY) / "_partition.json"
    assert seal_file.stat().st_size < 30_000  # 2,000 keys x 3 files were about 180 kB
    assert all(len(f["fields"]) == MAX_RECORDED_FIELDS and f["fields_left_out"] == 2_008 - MAX_RECORDED_FIELDS
               for f in seal["files"])
    entry = _report_entry(zone)
    assert entry["row_count"] == 3_000
    checks = {c["name"]: c for c in entry["checks"]}
    assert checks["device: one of web|ios|android"]["failure_count"] == 1
    assert [c for c in entry["columns"] if c.startswith("x")] == [f"x{k:04d}" for k in range(MAX_EXTRA_COLUMNS)]
    assert entry["extra_fields"]["distinct"] == 2_000 - MAX_EXTRA_COLUMNS
    assert entry["extra_fields"]["fields"][0] == {"field": f"x{MAX_EXTRA_COLUMNS:04d}", "events": 1_500}


@pytest.mark.timeout(60)
def test_an_enormous_event_in_a_normal_day_is_sealed_checked_and_reported(zone: RawZone):
    """One 40 MB event (40,000 keys) among normal ones: DuckDB refuses an object that large, and the
    seal called the file "not JSON Lines"."""
    events = click_events()
    events.insert(2, {**events[2], "event_id": "huge", **{f"k{k:05d}": "v" * 990 for k in range(40_000)}})
    write_jsonl(zone, "h00-normal.jsonl", events[:2])
    write_jsonl(zone, "h01-enormous.jsonl", events[2:])
    seal = seal_partition(zone, "reco_clickstream", DAY, force=True)
    assert seal["events"] == len(events) and seal["duplicate_event_ids"] == 1
    entry = _report_entry(zone)
    assert entry["row_count"] == len(events)
    checks = {c["name"]: c for c in entry["checks"]}
    assert checks["device: one of web|ios|android"]["failure_count"] == 1
    assert checks["event_id: unique"]["failure_count"] == 1
    assert entry["extra_fields"]["distinct"] == 40_000 - MAX_EXTRA_COLUMNS
    assert entry["extra_fields"]["fields"][0] == {"field": f"k{MAX_EXTRA_COLUMNS:05d}", "events": 1}


def test_a_scan_out_of_memory_is_not_called_a_bad_file(zone: RawZone, monkeypatch):
    """An engine failure (here DuckDB's memory limit far too low) says so; only a line that is not
    JSON makes a file "not JSON Lines"."""
    real = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, config=None, **k: real(
        *a, config={**(config or {}), "memory_limit": "1MB", "threads": 1}, **k))
    write_jsonl(zone, "h00-normal.jsonl", click_events() * 3_000)
    with pytest.raises(ScanError, match="memory") as raised:
        seal_partition(zone, "reco_clickstream", DAY, force=True)
    assert not isinstance(raised.value, CorruptFileError) and "not JSON" not in str(raised.value)


@pytest.mark.parametrize("width", [10, 100_000], ids=["narrow", "wide"])
def test_a_line_that_is_not_json_makes_the_file_corrupt(zone: RawZone, width):
    events = [{**e, "pad": "p" * width} for e in click_events()]
    data = b"".join(orjson.dumps(e) + b"\n" for e in events[:3]) + b'{"event_id": "broken\n'
    write_data_file(zone.partition_dir("clickstream", DAY) / "h00-broken.jsonl", data, dataset="clickstream",
                    partition=DAY, record_count=4, fmt="jsonl", source={"type": "test"})
    with pytest.raises(CorruptFileError, match="not JSON"):
        seal_partition(zone, "reco_clickstream", DAY, force=True)
