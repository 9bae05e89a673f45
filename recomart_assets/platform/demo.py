"""``recomart demo``: the whole platform end to end on embedded defaults.

Starts what is missing (the embedded broker, the simulated metadata API), generates a few days of
sample data with realistic defects, materializes every asset and check of each day (ingestion,
sealing, the quality report) into the persistent instance in ``DAGSTER_HOME`` (so the runs show up
in ``recomart dev``), verifies the raw zone, prints a summary, and stops what it started.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta

from recomart_assets.config import Settings
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.defs.shared.runs import run_resources
from recomart_assets.errors import DemoFailed
from recomart_assets.lake import RawZone, verify_tree
from recomart_assets.lake.verify import VerifyResult
from recomart_assets.platform.broker import ensure_broker
from recomart_assets.platform.instance import persistent_instance
from recomart_assets.platform.metadata_api import ensure_metadata_api
from recomart_assets.platform.scorecard import ScoreRow, foreign_transaction_files, transaction_scorecard
from recomart_assets.quality.report.html.index import index_path
from recomart_assets.simulate.clickstream import produce_clickstream, recent_days
from recomart_assets.simulate.master import write_master_exports
from recomart_assets.simulate.metadata_server import DEMO_FAULTS
from recomart_assets.simulate.transactions import write_transaction_drops
from recomart_assets.sources.clickstream.consumer import ConsumerOptions, run_consumer

# Dagster's console logger prints every step event at DEBUG; the demo prints its own progress.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class DemoSummary:
    """What ``recomart demo`` did: days, runs, counts, reports, the defect scorecard and the verify result."""

    days: list[str]
    runs: dict[str, str] = field(default_factory=dict)  # day -> run id
    counts: dict[str, int] = field(default_factory=dict)
    reports: list[str] = field(default_factory=list)  # the PDFs
    html_reports: list[str] = field(default_factory=list)
    index: str = ""  # reports/index.html, every reported day
    scorecard: list[ScoreRow] = field(default_factory=list)
    scorecard_skipped: str = ""
    verify: VerifyResult | None = None
    seconds: float = 0.0


def run_demo(
    settings: Settings,
    n_days: int = 3,
    dirty_rate: float = 0.02,
    events: int = 30_000,
    echo: Callable[[str], None] = print,
) -> DemoSummary:
    """The main job end to end on embedded services: simulate, ingest, seal, check and report ``n_days`` days."""
    from recomart_assets.definitions import defs
    from recomart_assets.defs.transactions.sensors import ingest_landing_once  # heavy imports: Dagster definitions

    started = time.perf_counter()
    zone = RawZone.from_settings(settings)
    zone.create_tree()
    days = recent_days(n_days)  # complete UTC days, so the clickstream can be sealed
    summary = DemoSummary(days=[day.isoformat() for day in days])
    instance = persistent_instance(settings)
    # Every asset and check of a day in one run: what the automation conditions and sensors of
    # `recomart dev` do piece by piece as data arrives and crons pass.
    job = defs.resolve_implicit_global_asset_job_def()
    recomart = RecomartResource.from_settings(settings)  # this run's settings, not those at import
    with ExitStack() as services:
        if services.enter_context(ensure_broker(settings)):
            echo(f"started the embedded Kafka broker at {settings.kafka_bootstrap_servers}")
        if services.enter_context(ensure_metadata_api(settings, DEMO_FAULTS)):
            echo(f"started the simulated metadata API at {settings.metadata_api_url} (with injected faults)")
        echo(f"simulating master data, transaction drops and clickstream (dirty rate {dirty_rate:.0%})")
        write_master_exports(settings, dirty_rate=dirty_rate)
        drops = write_transaction_drops(settings, days=n_days, dirty_rate=dirty_rate, last_day=days[-1])
        summary.counts["transaction lines dropped"] = drops.lines
        produced = produce_clickstream(settings, events, days, dirty_rate=dirty_rate)
        summary.counts["clickstream messages produced"] = produced.messages
        echo(f"consuming {produced.messages} clickstream messages from {settings.clickstream_topic}")
        # Everything was produced before consuming, so no event can arrive late: zero lateness lets
        # the watermark pass yesterday even in the first hour of a UTC day.
        consumed = run_consumer(
            settings, ConsumerOptions(idle_exit=5.0, allowed_lateness=timedelta(0)), handle_signals=False
        )
        summary.counts["clickstream events written"] = consumed.events
        summary.counts["clickstream messages quarantined"] = consumed.quarantined
        echo(f"landing zone: {len(drops.files)} files; running the landing sensor's intake runs")
        ingested = ingest_landing_once(instance, recomart, settle_seconds=0.0, extra_run_config=QUIET_RUN_CONFIG)
        summary.counts["transaction records ingested"] = sum(sum(per_day.values()) for per_day in ingested.values())
        # Drops reach back a few days (late records): report every day they touched too.
        summary.days = sorted(set(summary.days).union(*(per_day.keys() for per_day in ingested.values())))
        for day in summary.days:
            echo(f"materializing every asset and check of partition {day}")
            result = job.execute_in_process(
                partition_key=day, instance=instance, raise_on_error=False, run_config=QUIET_RUN_CONFIG,
                resources=run_resources(recomart),
            )
            summary.runs[day] = result.run_id
            if not result.success:
                raise DemoFailed(f"Dagster run {result.run_id} for {day} failed (see `recomart dev` for its logs)")
            summary.reports.append(str(zone.reports_dir(day) / "data_quality_report.pdf"))
            summary.html_reports.append(str(zone.reports_dir(day) / "data_quality_report.html"))
            summary.index = str(index_path(zone))
    foreign = foreign_transaction_files(zone, summary.days, drops.files)
    if any(ingested.values()) and not foreign:
        summary.scorecard = transaction_scorecard(zone, summary.days, drops.defects)
    else:
        summary.scorecard_skipped = (
            "the simulated drops were already ingested by an earlier run (same content, recognised by sha256)"
            if not any(ingested.values())
            else f"these days also hold transactions of earlier runs ({len(foreign)} files)"
        )
    summary.verify = verify_tree(zone.root)
    summary.seconds = time.perf_counter() - started
    return summary
