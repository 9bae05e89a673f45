"""The Dagster instance folder (``DAGSTER_HOME``): created on first use with our defaults.

Without ``DAGSTER_HOME`` Dagster keeps runs in a temporary folder that disappears, so the
commands that run Dagster (``demo``, ``dev``) make sure a persistent one exists. The default
``dagster.yaml`` routes the ``recomart`` Python loggers into each run's event log and turns on
run monitoring with retries for runs whose process died, and limits the landing runs' concurrency
pools to one run at a time; an existing ``dagster.yaml`` (e.g. one configured
for PostgreSQL, see the README) is never overwritten.
"""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterInstance

from recomart_assets.config import Settings

DEFAULT_INSTANCE_YAML = """\
# Written by recomart on first use; edit freely (it is never overwritten).
python_logs:
  managed_python_loggers:
    - recomart
telemetry:
  enabled: false
# A run whose process died (killed, machine restarted) is marked failed and launched again, so a
# landing file whose intake run was killed is completed without anyone re-executing it. Runs that
# failed with an error (a missing export, an API that stays down) are not retried automatically.
run_monitoring:
  enabled: true
  poll_interval_seconds: 30
run_retries:
  enabled: true
  max_retries: 2
  retry_on_asset_or_op_failure: false
# One landing run at a time per source (pools landing_transactions, landing_clickstream): a second
# run waits in the run queue instead of inside the intake lock. Only landing steps have pools.
# Granularity "run": the queue counts runs in progress per pool, so a run executed directly (the
# CLI, recomart demo) never waits for a slot, and a killed run holds none once run monitoring has
# marked it failed.
concurrency:
  pools:
    granularity: run
    default_limit: 1
"""


def ensure_dagster_home(settings: Settings) -> Path:
    """Create ``DAGSTER_HOME`` (absolute) with a default ``dagster.yaml``; returns its path."""
    home = Path(settings.dagster_home).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DEFAULT_INSTANCE_YAML, encoding="utf-8")
    return home


def persistent_instance(settings: Settings) -> DagsterInstance:
    """The instance in ``DAGSTER_HOME``, so demo runs show up later in ``recomart dev``."""
    return DagsterInstance.from_config(str(ensure_dagster_home(settings)))
