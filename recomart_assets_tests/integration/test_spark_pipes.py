"""A partition above the Spark threshold is validated by ``spark-submit`` (``local[2]``) through Dagster
Pipes, and its check results and metric state equal the DuckDB engine's on the same files.

One Spark job (the JVM's start-up is most of the time): the ``transactions`` checks of the fixture day,
which has failing rules of every group, a reference look-up that misses and a quarantine, split over two
files. Then the same checks in process with DuckDB (no threshold) on the same zone.
"""

from __future__ import annotations

import dataclasses
import time

import pytest

pytest.importorskip("pyspark")

from dagster import DagsterInstance, asset, materialize  # noqa: E402

from recomart_assets.defs.quality.checks import dataset_checks  # noqa: E402
from recomart_assets.defs.shared.partitions import daily_partitions  # noqa: E402
from recomart_assets.defs.shared.resources import RecomartResource  # noqa: E402
from recomart_assets.quality.engine_choice import partition_bytes  # noqa: E402
from recomart_assets.quality.states import read_state  # noqa: E402
from recomart_assets_tests.fixtures.quality import DAY  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240),
              pytest.mark.filterwarnings("ignore::dagster.PreviewWarning", "ignore::dagster.BetaWarning")]

DATASET = "transactions"


@asset(name=DATASET, partitions_def=daily_partitions)
def stand_in() -> None:
    """The raw asset's key and partitions (the fixture wrote the files)."""


def run_checks(zone, **settings):
    """The dataset's checks for the fixture day: (evaluations by check name, the state they wrote, seconds)."""
    started = time.monotonic()
    with DagsterInstance.ephemeral() as instance:
        result = materialize([stand_in, dataset_checks(DATASET)], partition_key=DAY, instance=instance,
                             resources={"recomart": RecomartResource(raw_zone=str(zone.root), **settings)})
        logs = [entry.user_message for entry in instance.all_logs(result.run_id)]
    seconds = time.monotonic() - started
    assert result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    return evaluations, read_state(zone, DATASET, DAY), logs, seconds


def comparable(evaluation) -> dict:
    """Everything an evaluation says, its metadata as plain values (tables as their rows)."""
    metadata = {}
    for key, entry in evaluation.metadata.items():
        value = entry.value
        metadata[key] = [r.data for r in value.records] if hasattr(value, "records") else value
    return {"passed": evaluation.passed, "severity": evaluation.severity, "metadata": metadata}


def state_values(state) -> dict:
    """The state's fields but when it was computed and by which engine."""
    return {k: v for k, v in dataclasses.asdict(state).items() if k not in ("computed_at", "engine")}


def test_a_partition_above_the_threshold_runs_on_spark_through_pipes(fixture_zone):
    size = partition_bytes(fixture_zone, DATASET, DAY)
    on_spark, spark_state, logs, spark_seconds = run_checks(
        fixture_zone, spark_threshold_bytes=size - 1, spark_master="local[2]")
    assert any("above the Spark threshold" in m and "spark-submit --master local[2]" in m for m in logs)
    assert "validating transactions 2026-01-05 on Spark (master local[2])" in logs  # the job's log line, via Pipes
    assert spark_state.engine == "spark"

    on_duckdb, duckdb_state, _, duckdb_seconds = run_checks(fixture_zone, spark_threshold_bytes=size)
    assert duckdb_state.engine == "duckdb"
    print(f"checks on Spark through Pipes {spark_seconds:.1f} s, in process on DuckDB {duckdb_seconds:.1f} s")

    assert set(on_spark) == {"schema", "values"}
    assert {name: comparable(e) for name, e in on_spark.items()} == {name: comparable(e) for name, e in on_duckdb.items()}
    assert state_values(spark_state) == state_values(duckdb_state)
    # the comparison has something to compare: failing rules with samples in both groups
    assert not on_spark["values"].passed and on_spark["values"].metadata["failure_counts"].value["rating: in_range(1, 5)"] == 2
    assert spark_state.checks["price: type number"] == {"status": "warn", "failure_count": 1}
    assert any(check["sample_rows"] for check in spark_state.report["checks"])  # row numbers, in file order
