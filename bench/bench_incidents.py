"""Incident detection end to end: 14 normal simulated days, then each incident on day 15; what fired.

Builds a raw zone through the real intake paths (the embedded broker and the clickstream consumer
and seal, the landing intake of daily transaction drops, the master sync, HTTP pulls from the
simulated metadata API), writes every day's quality report in order (each leaves its metric
states for the days after it), and prints what each report flagged: anomalies, schema and
distribution drift, and sources missing. The 14 normal days share one zone; each scenario for
day 15 (a normal day, then one per incident) runs on a copy of it. Done when the normal days and
the normal day 15 flag nothing and each incident day flags its incident and nothing else.

Run: ``.venv/bin/python bench/bench_incidents.py [--days 14] [--events 8000] [--rows 2000] [--dirty-rate 0.02] [--seed 42]``
(``--incident KIND`` to run only some scenarios, ``--keep DIR`` to keep the zones). Prints the
time each step took: the machine is shared, so quote two runs and the load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from pathlib import Path

from recomart_assets.config import Settings
from recomart_assets.errors import PartitionNotClosed
from recomart_assets.lake import RawZone, intake
from recomart_assets.lake.placing import TimeBounds
from recomart_assets.platform.broker import broker_process
from recomart_assets.platform.metadata_api import metadata_api_process
from recomart_assets.platform.services import free_port
from recomart_assets.quality.report.build import write_quality_report
from recomart_assets.quality.report.findings import warning_lines
from recomart_assets.simulate.clickstream import produce_clickstream, recent_days
from recomart_assets.simulate.incidents import KINDS, Incident
from recomart_assets.simulate.master import DEFAULT_SEED, write_master_exports
from recomart_assets.simulate.transactions import write_daily_drops
from recomart_assets.sources.clickstream.consumer import ConsumerOptions, run_consumer
from recomart_assets.sources.clickstream.seal import seal_partition
from recomart_assets.sources.http.metadata_api import pull_metadata
from recomart_assets.sources.master_exports import ingest_master
from recomart_assets.sources.transactions import LANDING


@contextmanager
def services(work: Path) -> Iterator[dict[str, str]]:
    """The embedded broker and the simulated metadata API on free ports (stopped on exit)."""
    broker_port, api_port = free_port(), free_port()
    with ExitStack() as stack:
        stack.enter_context(broker_process(Settings(), "127.0.0.1", broker_port, log_path=str(work / "broker.log")))
        stack.enter_context(metadata_api_process("127.0.0.1", api_port, log_path=str(work / "api.log")))
        yield {"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{broker_port}",
               "RECOMART_METADATA_API_URL": f"http://127.0.0.1:{api_port}"}


def settings_for(root: Path, env: dict[str, str], topic: str) -> Settings:
    return Settings.from_env({**env, "RECOMART_RAW_ZONE": str(root / "raw_zone"),
                              "RECOMART_MASTER_EXPORTS": str(root / "master_exports"),
                              "RECOMART_CLICKSTREAM_TOPIC": topic, "RECOMART_CONSUMER_GROUP": f"group-{topic}"})


def simulate(settings: Settings, days: list[date], events_per_day: int, rows_per_day: int, dirty_rate: float,
             seed: int, incident: Incident | None = None) -> None:
    """Every source for ``days``, through its real intake, each day's master sync on its own day."""
    zone = RawZone.from_settings(settings)
    zone.create_tree()
    for day in days:
        write_master_exports(settings, seed=seed, dirty_rate=dirty_rate, incident=incident if day == days[-1] else None)
        ingest_master(settings, day.isoformat())
        if not (incident and incident.kind == "source_stops" and incident.source == "external_metadata"
                and day == incident.day):
            pull_metadata(settings, day.isoformat())
    write_daily_drops(settings, days, seed=seed, rows_per_day=rows_per_day, dirty_rate=dirty_rate, incident=incident)
    intake.run_pass(LANDING, zone, 0.0, TimeBounds(clock_skew=settings.clock_skew))
    produce_clickstream(settings, events_per_day * len(days), days, seed=seed + len(days), dirty_rate=dirty_rate,
                        incident=incident)
    run_consumer(settings, ConsumerOptions(idle_exit=3.0, allowed_lateness=timedelta(0)), handle_signals=False)
    for day in days:
        try:
            seal_partition(zone, settings.clickstream_topic, day.isoformat())
        except PartitionNotClosed:  # the day's last session ended before midnight: nothing more will come
            seal_partition(zone, settings.clickstream_topic, day.isoformat(), force=True)


def report(zone: RawZone, day: str) -> tuple[list[str], float]:
    started = time.perf_counter()
    results = write_quality_report(zone, day).results
    return warning_lines(results), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=14, help="Normal days before the scenario day.")
    parser.add_argument("--events", type=int, default=8_000, help="Clickstream events per day.")
    parser.add_argument("--rows", type=int, default=2_000, help="Transactions per day.")
    parser.add_argument("--dirty-rate", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Seed of the simulators.")
    parser.add_argument("--incident", action="append", choices=KINDS, help="Only these scenarios (repeatable).")
    parser.add_argument("--keep", type=Path, default=None, help="Keep the zones in this folder.")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-incidents-"))
    work.mkdir(parents=True, exist_ok=True)
    all_days = recent_days(args.days + 1)
    normal, last = all_days[:-1], all_days[-1]
    scenarios = [None, *[Incident(kind, last) for kind in (args.incident or KINDS)]]
    scenarios += [Incident("source_stops", last, source="external_metadata")] if not args.incident else []
    os.environ.setdefault("RECOMART_RAW_ZONE", str(work / "unused"))  # nothing may fall back to ./raw_zone
    summary = []
    with services(work) as env:
        started = time.perf_counter()
        base = work / "base"
        simulate(settings_for(base, env, "base"), normal, args.events, args.rows, args.dirty_rate, args.seed)
        print(f"simulated {len(normal)} normal days in {time.perf_counter() - started:.1f}s")
        zone = RawZone.at(base / "raw_zone")
        normal_flags = 0
        for day in normal:
            lines, seconds = report(zone, day.isoformat())
            normal_flags += len(lines)
            print(f"  {day} (normal): report in {seconds:.1f}s, {len(lines)} flagged")
            for line in lines:
                print(f"      {line}")
        summary.append(("14 normal days" if len(normal) == 14 else f"{len(normal)} normal days", normal_flags))
        for incident in scenarios:
            name = "normal" if incident is None else f"{incident.kind}" + (
                f" ({incident.source})" if incident.kind == "source_stops" else "")
            root = work / name.replace(" ", "_").replace("(", "").replace(")", "")
            shutil.copytree(base, root, dirs_exist_ok=True)
            topic = f"day-{name.replace(' ', '-').replace('(', '').replace(')', '')}"
            started = time.perf_counter()
            simulate(settings_for(root, env, topic), [last], args.events, args.rows, args.dirty_rate, args.seed, incident)
            lines, seconds = report(RawZone.at(root / "raw_zone"), last.isoformat())
            print(f"{last} {name}: simulated and reported in {time.perf_counter() - started:.1f}s "
                  f"(report {seconds:.1f}s), {len(lines)} flagged")
            for line in lines:
                print(f"      {line}")
            summary.append((name, len(lines)))
    print("\nscenario: findings that warn")
    for name, count in summary:
        print(f"  {name:<40} {count}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
