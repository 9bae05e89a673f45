"""``recomart demo --incident KIND``: normal days, then one incident day, and what the report flagged.

The same path as the main demo (embedded services, every asset and check of each day through
Dagster into the persistent instance), over more days: ``n_days - 1`` normal days give the
anomaly detection its history, and the last day carries one simulated incident
(:mod:`recomart_assets.simulate.incidents`). Transactions arrive as one landing file per UTC day,
so every day is complete and comparable; the catalog export changes only for the incident day's
sync; a stopped metadata source is simply not pulled that day. Prints, per day, how many findings
warned (none on normal days), then the incident day's findings and its report.

A Dagster run per day costs seconds, so two weeks take minutes: the default ``recomart demo``
stays the short one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta

import orjson
from dagster import AssetKey

from recomart_assets.config import Settings
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.defs.shared.runs import run_resources
from recomart_assets.errors import DemoFailed
from recomart_assets.lake import RawZone, complete_files, read_verified_bytes
from recomart_assets.platform.broker import ensure_broker
from recomart_assets.platform.demo import QUIET_RUN_CONFIG
from recomart_assets.platform.instance import persistent_instance
from recomart_assets.platform.metadata_api import ensure_metadata_api
from recomart_assets.quality.report.findings import warning_lines
from recomart_assets.quality.results import REPORT_JSON
from recomart_assets.simulate.clickstream import produce_clickstream, recent_days
from recomart_assets.simulate.incidents import Incident
from recomart_assets.simulate.master import write_master_exports
from recomart_assets.simulate.transactions import write_daily_drops
from recomart_assets.sources.clickstream.consumer import ConsumerOptions, run_consumer

DEFAULT_DAYS = 15  # two weeks of history, then the incident


@dataclass
class IncidentDemo:
    """What one incident demo did: the days, the findings that warned per day, the runs and the report."""

    incident: Incident
    days: list[str]
    flagged: dict[str, list[str]] = field(default_factory=dict)  # day -> findings that warn
    runs: dict[str, str] = field(default_factory=dict)
    report: str = ""
    html_report: str = ""
    seconds: float = 0.0

    @property
    def normal_days_flagged(self) -> int:
        """Warning findings on the days before the incident: false alarms."""
        return sum(len(lines) for day, lines in self.flagged.items() if day != self.days[-1])


def _report(zone: RawZone, day: str) -> dict:
    for path, manifest in complete_files(zone.reports_dir(day), REPORT_JSON):
        return orjson.loads(read_verified_bytes(path, manifest))
    raise DemoFailed(f"no quality report was written for {day}")


def run_incident_demo(
    settings: Settings,
    kind: str,
    n_days: int = DEFAULT_DAYS,
    dirty_rate: float = 0.02,
    events_per_day: int = 5_000,
    rows_per_day: int = 1_500,
    echo: Callable[[str], None] = print,
    source: str = "transactions",
) -> IncidentDemo:
    """Normal days then one day with the ``kind`` of incident, through the whole pipeline: what the report flags."""
    from recomart_assets.definitions import defs
    from recomart_assets.defs.transactions.sensors import ingest_landing_once  # heavy imports: Dagster definitions

    started = time.perf_counter()
    zone = RawZone.from_settings(settings)
    zone.create_tree()
    days = recent_days(n_days)
    incident = Incident(kind, days[-1], source=source)
    demo = IncidentDemo(incident, [day.isoformat() for day in days])
    instance = persistent_instance(settings)
    recomart = RecomartResource.from_settings(settings)  # this run's settings, not those at import
    job = defs.resolve_implicit_global_asset_job_def()
    without_metadata = [key for key in job.asset_layer.asset_graph.materializable_asset_keys
                        if key != AssetKey("external_metadata")]
    with ExitStack() as services:
        if services.enter_context(ensure_broker(settings)):
            echo(f"started the embedded Kafka broker at {settings.kafka_bootstrap_servers}")
        if services.enter_context(ensure_metadata_api(settings)):
            echo(f"started the simulated metadata API at {settings.metadata_api_url}")
        echo(f"simulating {n_days - 1} normal days, then {incident.describe()}")
        write_daily_drops(settings, days, rows_per_day=rows_per_day, dirty_rate=dirty_rate, incident=incident)
        produce_clickstream(settings, events_per_day * n_days, days, dirty_rate=dirty_rate, incident=incident)
        run_consumer(settings, ConsumerOptions(idle_exit=5.0, allowed_lateness=timedelta(0)), handle_signals=False)
        ingest_landing_once(instance, recomart, settle_seconds=0.0, extra_run_config=QUIET_RUN_CONFIG)
        for day in days:
            incident_day = day == incident.day
            write_master_exports(settings, dirty_rate=dirty_rate, incident=incident if incident_day else None)
            stops_metadata = incident_day and kind == "source_stops" and source == "external_metadata"
            result = job.execute_in_process(
                partition_key=day.isoformat(), instance=instance, raise_on_error=False, run_config=QUIET_RUN_CONFIG,
                asset_selection=without_metadata if stops_metadata else None, resources=run_resources(recomart),
            )
            demo.runs[day.isoformat()] = result.run_id
            if not result.success:
                raise DemoFailed(f"Dagster run {result.run_id} for {day} failed (see `recomart dev` for its logs)")
            lines = warning_lines(_report(zone, day.isoformat()))
            demo.flagged[day.isoformat()] = lines
            echo(f"  {day}{' (incident)' if incident_day else ''}: {len(lines)} finding(s) warn")
    write_master_exports(settings, dirty_rate=dirty_rate)  # the next sync is a normal one again
    demo.report = str(zone.reports_dir(demo.days[-1]) / "data_quality_report.pdf")
    demo.html_report = str(zone.reports_dir(demo.days[-1]) / "data_quality_report.html")
    demo.seconds = time.perf_counter() - started
    return demo
