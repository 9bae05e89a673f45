"""The Spark job's side of Pipes: what it reads from the context, what it writes and sends back.

Narrow: the Spark session and engine are replaced by DuckDB's here (the real ``spark-submit`` run is
``integration/test_spark_pipes.py``); the job must import neither Dagster nor, until it runs, pyspark.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from recomart_assets.quality.engines import duckdb_engine, spark_job
from recomart_assets.quality.engines.references import load_references
from recomart_assets.quality.states import read_state
from recomart_assets_tests.fixtures.quality import DAY

spark_engine = pytest.importorskip("recomart_assets.quality.engines.spark_engine")


class FakeLog:
    def __init__(self):
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)


class FakePipes:
    """The part of ``dagster_pipes.PipesContext`` the job uses."""

    def __init__(self, extras: dict):
        self.extras = extras
        self.log = FakeLog()
        self.messages: list = []

    def report_custom_message(self, payload) -> None:
        self.messages.append(payload)


class FakeSession:
    class sparkContext:  # noqa: N801 (the attribute's name on a SparkSession)
        master = "local[3]"

    def __init__(self):
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


@pytest.fixture
def session(monkeypatch):
    session = FakeSession()
    built = []

    def submitted_session(small_data=False):
        built.append(small_data)
        return session

    def validate_partition(zone, dataset, day, references, fail_rate, spark=None):
        assert spark is session
        return duckdb_engine.validate_partition(zone, dataset, day, references, fail_rate)

    monkeypatch.setattr(spark_engine, "submitted_session", submitted_session)
    monkeypatch.setattr(spark_engine, "validate_partition", validate_partition)
    session.built = built
    return session


def test_the_job_validates_writes_the_state_and_sends_the_validation(fixture_zone, session):
    pipes = FakePipes({"raw_zone": str(fixture_zone.root), "dataset": "transactions", "day": DAY, "fail_rate": 0.5,
                       "small_data": True})
    spark_job.run(pipes)
    state = read_state(fixture_zone, "transactions", DAY)
    assert state is not None and state.fail_rate == 0.5 and session.stopped and session.built == [True]
    expected = duckdb_engine.validate_partition(fixture_zone, "transactions", DAY, load_references(fixture_zone, DAY),
                                                 0.5).validation
    assert pipes.messages == [{spark_job.MESSAGE_KEY: expected.to_dict()}]
    assert pipes.log.lines == ["validating transactions 2026-01-05 on Spark (master local[3])",
                               "transactions 2026-01-05: warn, 10 rows"]  # at a 50% failure threshold


def test_the_session_stops_when_the_validation_fails(fixture_zone, session, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("executor lost")

    monkeypatch.setattr(spark_engine, "validate_partition", broken)
    pipes = FakePipes({"raw_zone": str(fixture_zone.root), "dataset": "customers", "day": DAY, "fail_rate": 0.05})
    with pytest.raises(RuntimeError, match="executor lost"):
        spark_job.run(pipes)
    assert session.stopped and session.built == [False] and pipes.messages == []


def test_the_job_imports_no_dagster_and_loads_without_pyspark():
    """(``sys.modules['pyspark'] = None``: any import of pyspark fails, as without the extra; the
    Dagster side imports this module for its path and message key.)"""
    code = ("import sys; sys.modules['pyspark'] = None; import recomart_assets.quality.engines.spark_job; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'dagster', 'dagster_pipes'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.strip() == "['dagster_pipes']"
