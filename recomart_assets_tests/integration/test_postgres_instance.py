"""The documented ``dagster.yaml`` for PostgreSQL (docs/dagster.postgres.yaml) against the local
server: a run and a sensor tick of the real code location end up in the database."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, materialize

from recomart_assets.config import child_environ
from recomart_assets.defs.master_data.assets import customers, product_catalog
from recomart_assets.defs.shared.io_manager import RawZoneFrameIOManager
from recomart_assets.platform.dev import CODE_LOCATION_MODULE, process_tree
from recomart_assets.platform.services import ManagedProcess
from recomart_assets.simulate.master import write_master_exports

pytestmark = pytest.mark.integration

TEMPLATE = Path(__file__).parents[2] / "docs" / "dagster.postgres.yaml"
DAY = "2026-03-04"


@pytest.fixture
def pg_home(tmp_path, postgres_db, monkeypatch) -> Path:
    """A DAGSTER_HOME whose dagster.yaml is the documented template, its variables set."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(TEMPLATE, home / "dagster.yaml")
    for var, value in postgres_db.items():
        monkeypatch.setenv(var, value)
    return home


def test_a_run_is_stored_in_postgres(pg_home, pg_query, settings, recomart_resource):
    write_master_exports(settings, seed=5, n_products=20, n_customers=20)
    instance = DagsterInstance.from_config(str(pg_home))
    resources = {"recomart": recomart_resource, "raw_zone_io_manager": RawZoneFrameIOManager(recomart=recomart_resource)}
    result = materialize([product_catalog, customers], partition_key=DAY, instance=instance, resources=resources)
    assert result.success
    # A second process (here: a new instance object) sees the run, its events and the partitions.
    reopened = DagsterInstance.from_config(str(pg_home))
    assert type(reopened.run_storage).__name__ == "PostgresRunStorage"
    assert reopened.get_run_by_id(result.run_id).status == DagsterRunStatus.SUCCESS
    assert reopened.get_materialized_partitions(product_catalog.key) == {DAY}
    assert pg_query("SELECT count(*) FROM runs") == [(1,)]


def test_the_daemon_stores_sensor_ticks_in_postgres(pg_home, postgres_db, pg_query, settings):
    from recomart_assets.definitions import defs

    sensors = {sensor.name for sensor in defs.get_repository_def().sensor_defs}
    if not sensors:
        pytest.skip("the code location defines no sensor yet")
    DagsterInstance.from_config(str(pg_home))  # creates the tables, as the first process of a deployment does
    daemon = ManagedProcess(
        "dagster-daemon",
        [str(Path(sys.executable).with_name("dagster-daemon")), "run", "-m", CODE_LOCATION_MODULE],
        # Ready once a sensor tick is in the database: the daemon evaluates running sensors at once.
        ready=lambda: pg_query("SELECT count(*) FROM job_ticks WHERE type = 'SENSOR'")[0][0] > 0,
        startup_timeout=150,
        env=child_environ(settings, DAGSTER_HOME=str(pg_home), **postgres_db),
        log_path=str(pg_home / "daemon.log"),
    )
    with process_tree(daemon):
        pass
    ticks = pg_query("SELECT status, tick_body FROM job_ticks WHERE type = 'SENSOR'")
    assert any(any(f'"{name}"' in body for name in sensors) for _, body in ticks), ticks
    assert {status for status, _ in ticks} <= {"STARTED", "SKIPPED", "SUCCESS"}, ticks
