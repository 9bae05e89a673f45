"""Names as data: JSON keys however hostile never stop a seal, a check or a report.

Keys are data. Whatever a key holds (quotes, backslashes, a newline, the empty string, the name of
one of the engine's own columns, a name that is another key but for case), the day is sealed, its
checks run on the known fields and its report is written; names that collide under a
case-insensitive engine's rules are reported as a schema finding. A day with hundreds of distinct
keys is validated within the memory budget: the known fields are checked, the others counted.
"""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recomart_assets.lake import RawZone
from recomart_assets.lake.fields import MAX_EXTRA_COLUMNS, MAX_LISTED_FIELDS, shown
from recomart_assets.quality import duckdb_engine, pandas_engine
from recomart_assets.quality.profiling import CASE_COLLISIONS
from recomart_assets.quality.references import load_references
from recomart_assets.quality.report import write_quality_report
from recomart_assets.quality.results import results_of
from recomart_assets.quality.schemas import References, schema_for
from recomart_assets.quality.sql import DUCKDB, SPARK, Plan, SqlValidation, compile_rules, load_query
from recomart_assets.sources.clickstream_seal import seal_partition
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
def test_a_wide_day_is_validated_within_the_memory_budget(zone: RawZone):
    """400 keys x 10,000 events ran DuckDB out of its memory limit: the known fields are checked, the
    first few extra keys profiled as columns, the others counted (bounded)."""
    events = _wide_events(400, 10_000)
    for hour in range(4):
        write_jsonl(zone, f"h{hour:02d}-wide.jsonl", events[hour::4])
    del events
    references = load_references(zone, DAY)
    outcome = duckdb_engine.validate_partition(zone, "clickstream", DAY, references)
    assert outcome.validation.row_count == 10_000
    extras = [c for c in outcome.columns if c.startswith("extra_")]
    assert extras == [f"extra_{k:04d}" for k in range(MAX_EXTRA_COLUMNS)]
    assert outcome.extra_fields["distinct"] == 400 - MAX_EXTRA_COLUMNS
    assert len(outcome.extra_fields["fields"]) == MAX_LISTED_FIELDS
    assert outcome.extra_fields["fields"][0] == {"field": f"extra_{MAX_EXTRA_COLUMNS:04d}", "events": 10_000}
    assert len(outcome.observed_schema) == 8 + MAX_EXTRA_COLUMNS


def test_both_engines_agree_on_a_wide_day(zone: RawZone):
    events = _wide_events(120, 40)
    events[3]["rare"] = "r"
    write_jsonl(zone, "h00-wide.jsonl", events)
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
