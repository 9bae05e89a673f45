"""The same checks on Spark (local mode, the ``spark`` extra): a raw zone on S3 (moto) and a local one.

Spark runs the schemas compiled to Spark SQL; every check's failure count, status, samples and
their row numbers, the profiles and the segments must match the DuckDB engine's on the same
partitions (Spark numbers the rows in file order, as DuckDB's ``rowid``: ``spark_engine.numbered``).
"""

from __future__ import annotations

import pytest

pytest.importorskip("pyspark")

from recomart_assets.lake import RawZone  # noqa: E402
from recomart_assets.quality.engines import duckdb_engine, spark_engine  # noqa: E402
from recomart_assets.quality.engines.references import load_references  # noqa: E402
from recomart_assets.quality.states import read_state  # noqa: E402
from recomart_assets.quality.validation import validate  # noqa: E402
from recomart_assets_tests.fixtures.quality import DAY, build_fixture_zone, click_events, write_jsonl  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

DATASETS = ("transactions", "clickstream")


@pytest.fixture(scope="module")
def spark():
    session = spark_engine.local_session(cores=2, small_data=True)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def numbers(outcome) -> dict:
    checks = {c.name: (c.failure_count, c.status, c.samples, c.sample_rows) for c in outcome.validation.checks}
    return {"checks": checks, "rows": outcome.validation.row_count, "failed_rows": outcome.validation.failed_rows,
            "columns": {c: {k: v for k, v in p.items() if k != "top_values"} for c, p in outcome.columns.items()},
            "segments": outcome.segments, "segment_nulls": outcome.segment_nulls, "present": outcome.present}


def test_spark_on_s3_matches_duckdb(spark, s3_bucket):
    zone = build_fixture_zone(RawZone.at(f"s3://{s3_bucket}/lake"))
    references = load_references(zone, DAY)
    for dataset in DATASETS:
        on_spark = spark_engine.validate_partition(zone, dataset, DAY, references, spark=spark)
        on_duckdb = duckdb_engine.validate_partition(zone, dataset, DAY, references)
        assert numbers(on_spark) == numbers(on_duckdb), dataset
        assert on_spark.files == on_duckdb.files and on_spark.engine == "spark"
    assert spark_engine.validate_partition(zone, "external_metadata", DAY, references, spark=spark).missing


def test_spark_on_local_files_writes_the_shared_state(spark, fixture_zone, monkeypatch):
    monkeypatch.setattr(spark_engine, "local_session", lambda: spark)
    outcome = validate(fixture_zone, "customers", DAY, engine="spark")
    email = next(c for c in outcome.validation.checks if c.name == "email: format e-mail")
    assert (email.failure_count, email.samples, email.status) == (1, ["not-an-email"], "fail")
    state = read_state(fixture_zone, "customers", DAY)
    assert state.engine == "spark" and state.segments["segment"] == {"regular": 4}


def test_hostile_keys_pass_through_spark(spark, zone):
    """Keys with backticks, quotes, a newline, a dot or an engine's own names are columns like any other
    (left out: keys equal but for case, which Spark's JSON reader takes for one by default, and the
    empty key, which its schema inference drops)."""
    events = click_events()
    for index, key in enumerate(["a`b", "it's", 'say "hi"', "back\\slash", "new\nline", "a.b", "rowid", "__row"]):
        events[index % len(events)][key] = f"value of {index}"
    write_jsonl(zone, "h00-hostile.jsonl", events)
    references = load_references(zone, DAY)
    on_spark = spark_engine.validate_partition(zone, "clickstream", DAY, references, spark=spark)
    assert numbers(on_spark) == numbers(duckdb_engine.validate_partition(zone, "clickstream", DAY, references))


def test_rows_are_numbered_across_spark_partitions(spark):
    frame = spark.range(0, 1000, 1, 7)  # seven Spark partitions: ids jump at each partition's start
    numbered, cached = spark_engine.numbered(frame)
    try:
        assert [(r[0], r[1]) for r in numbered.orderBy("id").collect()] == [(i, i) for i in range(1000)]
    finally:
        cached.unpersist()


def test_files_split_over_many_spark_partitions_keep_file_order(spark, zone):
    """Tiny splits (a few events each): samples and their row numbers are still DuckDB's, file by file
    (Spark lists a JSON day's fields alphabetically, DuckDB in the files' order: a repeated row's sample,
    which names every field, is compared as a set of fields)."""
    events = click_events()
    write_jsonl(zone, "h00-a.jsonl", events * 3)  # every event repeated: duplicates sampled in file order
    write_jsonl(zone, "h01-b.jsonl", events[::-1] * 2)
    references = load_references(zone, DAY)
    spark.conf.set("spark.sql.files.maxPartitionBytes", "600")
    spark.conf.set("spark.sql.files.openCostInBytes", "0")
    try:
        on_spark = spark_engine.validate_partition(zone, "clickstream", DAY, references, spark=spark)
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
        spark.conf.unset("spark.sql.files.openCostInBytes")
    on_duckdb = duckdb_engine.validate_partition(zone, "clickstream", DAY, references)
    for outcome in (on_spark, on_duckdb):  # a repeated row's sample lists its fields in each engine's field order
        for check in outcome.validation.checks:
            check.samples = [", ".join(sorted(s.split(", "))) if check.name == "no duplicate rows" else s
                             for s in check.samples]
    assert numbers(on_spark) == numbers(on_duckdb)
    assert any(len(c.sample_rows) > 1 for c in on_spark.validation.checks)
