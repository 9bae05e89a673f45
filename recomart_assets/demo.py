"""``recomart demo``: the whole platform end to end on embedded defaults.

Starts what is missing (the embedded broker, the simulated metadata API), generates a few days of
sample data with realistic defects, runs the daily Dagster job (ingestion, sealing, checks, the
quality report) for each day into the persistent instance in ``DAGSTER_HOME`` (so the runs show up
in ``recomart dev``), verifies the raw zone, prints a summary, and stops what it started.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from recomart_assets.instance import persistent_instance
from recomart_assets.lake import RawZone, verify_tree
from recomart_assets.lake.verify import VerifyResult
from recomart_assets.logs import get_logger
from recomart_assets.settings import Settings
from recomart_assets.simulate.master import write_master_exports

log = get_logger("demo")

# Dagster's console logger prints every step event at DEBUG; the demo prints its own progress.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


class DemoFailed(RuntimeError):
    """A step of the demo failed; the message says which."""


@dataclass
class DemoSummary:
    days: list[str]
    runs: dict[str, str] = field(default_factory=dict)  # day -> run id
    counts: dict[str, int] = field(default_factory=dict)
    reports: list[str] = field(default_factory=list)
    verify: VerifyResult | None = None
    seconds: float = 0.0


def demo_days(n_days: int, today: date | None = None) -> list[str]:
    """The ``n_days`` complete days before today (UTC), oldest first."""
    today = today or datetime.now(UTC).date()
    return [(today - timedelta(days=offset)).isoformat() for offset in range(n_days, 0, -1)]


def run_demo(settings: Settings, n_days: int = 3, dirty_rate: float = 0.02, echo: Callable[[str], None] = print) -> DemoSummary:
    from recomart_assets.definitions import defs  # heavy import, only when the demo runs

    started = time.perf_counter()
    zone = RawZone.from_settings(settings)
    zone.create_tree()
    summary = DemoSummary(days=demo_days(n_days))
    instance = persistent_instance(settings)
    job = defs.resolve_job_def("recomart_daily")
    with ExitStack():
        echo(f"simulating master data (dirty rate {dirty_rate:.0%})")
        write_master_exports(settings, dirty_rate=dirty_rate)
        for day in summary.days:
            echo(f"running Dagster job recomart_daily for partition {day}")
            result = job.execute_in_process(
                partition_key=day, instance=instance, raise_on_error=False, run_config=QUIET_RUN_CONFIG
            )
            summary.runs[day] = result.run_id
            if not result.success:
                raise DemoFailed(f"Dagster run {result.run_id} for {day} failed (see `recomart dev` for its logs)")
    summary.verify = verify_tree(zone.root)
    summary.seconds = time.perf_counter() - started
    return summary
