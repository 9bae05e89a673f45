"""Validation by engine name, and ``current``: a fresh state is reused, a stale one validated again."""

from __future__ import annotations

import pandas as pd
import pytest

from recomart_assets.lake.frames import LakeFrame, frame_writer, store_frame
from recomart_assets.quality.engines import duckdb_engine, pandas_engine
from recomart_assets.quality.validation import current, engine_named, validate

DAY = "2026-01-05"


def _customers(zone, rows):
    frame = pd.DataFrame({"customer_id": [f"C{i:06d}" for i in range(1, rows + 1)], "name": "A",
                          "email": "a@b.co", "signup_date": "2025-12-01T00:00:00Z", "city": "Pune", "segment": "new"})
    with frame_writer(zone, "customers", DAY):
        store_frame(zone, "customers", DAY, LakeFrame(frame, {"kind": "manual"}), latest=True)


def test_engines_by_name():
    assert engine_named("duckdb") is duckdb_engine.validate_partition
    assert engine_named("pandas") is pandas_engine.validate_partition
    with pytest.raises(ValueError, match="unknown validation engine 'nope': use one of duckdb, pandas, spark"):
        engine_named("nope")


def test_current_reuses_a_fresh_state_and_revalidates_a_stale_one(zone):
    _customers(zone, 2)
    first = validate(zone, "customers", DAY, engine="pandas")
    assert (first.validation.row_count, first.engine) == (2, "pandas")
    assert current(zone, "customers", DAY).engine == "pandas"  # the state, not a new DuckDB run
    _customers(zone, 3)  # the partition changed: its state is stale
    again = current(zone, "customers", DAY)
    assert (again.validation.row_count, again.engine) == (3, "duckdb")


def test_validate_runs_a_given_engine_and_writes_its_state(zone):
    """A Spark job passes the engine bound to its session: any engine callable is run and its state written."""
    _customers(zone, 2)
    calls = []

    def engine(zone_, dataset, day, references, fail_rate):
        calls.append((dataset, day, fail_rate))
        return pandas_engine.validate_partition(zone_, dataset, day, references, fail_rate)

    outcome = validate(zone, "customers", DAY, engine=engine, fail_rate=0.2)
    assert calls == [("customers", DAY, 0.2)] and outcome.engine == "pandas"
    assert current(zone, "customers", DAY, fail_rate=0.2).engine == "pandas"  # its state, still fresh
