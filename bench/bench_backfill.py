"""Benchmark: a UI backfill of N days for an asset that re-derives a range in one run
(``BackfillPolicy.single_run()``: ``transactions``) and for one that runs per day (``product_catalog``).

In a temporary raw zone and Dagster instance:
1. input data: ``recomart simulate transactions --days N`` and ``recomart ingest-transactions``
   (so the archive holds what a backfill re-derives), and ``recomart simulate master``;
2. ``dagster dev`` starts on a free loopback port (stopped by PID, with its process group, when the
   benchmark ends); for each asset a partition backfill of the last N days (ending today) is launched
   through the GraphQL API, as the UI's "Materialize..." dialog does, and the clock stops when the
   backfill daemon marks it finished. Prints, per asset, the runs the backfill started and the wall
   time, and the time from the first run's start to the last run's end.

The backfill daemon looks at backfills every 30 s (a Dagster constant), and each run is a process that
imports the code location, so a per-day asset pays that start-up once per day, a single-run asset once.
Times vary with the machine's load.

    .venv/bin/python bench/bench_backfill.py [--days 7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from recomart_assets.config import Settings, child_environ
from recomart_assets.lake import RawZone, verify_tree
from recomart_assets.platform.dev import dagster_dev
from recomart_assets.platform.graphql import DagsterUI
from recomart_assets.platform.services import free_port

# (asset, what its backfill policy makes of a range)
ASSETS = (("transactions", "single run"), ("product_catalog", "one run per day"))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=900.0, help="Seconds to wait for each backfill.")
    parser.add_argument("--keep", default=None, help="Work in this (new) folder and keep it, to inspect runs after.")
    return parser.parse_args()


def backfill_days(n_days: int) -> list[str]:
    """The last ``n_days`` partitions, ending today (today is a partition: ``end_offset=1``)."""
    today = datetime.now(UTC).date()
    return [(today - timedelta(days=offset)).isoformat() for offset in range(n_days - 1, -1, -1)]


def prepare(settings: Settings, days: int) -> None:
    recomart = str(Path(sys.executable).with_name("recomart"))
    for command in (["simulate", "transactions", "--days", str(days), "--files", str(max(2, days // 2))],
                    ["ingest-transactions", "--settle-seconds", "0"],
                    ["simulate", "master"]):
        print("prepare: recomart " + " ".join(command))
        subprocess.run([recomart, *command], env=child_environ(settings), check=True, stdout=subprocess.DEVNULL)


def backfill(ui: DagsterUI, asset: str, days: list[str], timeout: float) -> tuple[str, int, int, float, float]:
    """Launch a backfill of ``asset`` over ``days``; (final status, runs, failed runs, wall seconds, runs' span)."""
    started = time.perf_counter()
    backfill_id = ui.launch_asset_backfill([asset], days, title=f"bench {asset} {len(days)} days")
    status = ui.wait_for_backfill(backfill_id, timeout=timeout)
    wall = time.perf_counter() - started
    runs = ui.backfill_runs(backfill_id)
    failed = [run for run in runs if run.status != "SUCCESS"]
    for run in failed:
        print(f"  run {run.run_id} {run.status}")
    starts = [r.start_time for r in runs if r.start_time]
    ends = [r.end_time for r in runs if r.end_time]
    span = max(ends) - min(starts) if starts and ends else 0.0
    return status, len(runs), len(failed), wall, span


def main() -> int:
    args = parse_args()
    days = backfill_days(args.days)
    with ExitStack() as stack:
        if args.keep:
            root = Path(args.keep).absolute()
            root.mkdir(parents=True)
        else:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench_backfill_")))
        settings = Settings.from_env(child_environ(
            RECOMART_RAW_ZONE=str(root / "raw_zone"),
            RECOMART_MASTER_EXPORTS=str(root / "master_exports"),
            DAGSTER_HOME=str(root / "dagster_home"),
        ))
        RawZone.from_settings(settings).create_tree()
        prepare(settings, args.days)
        dev = stack.enter_context(dagster_dev(settings, port=free_port(), log_path=root / "dagster_dev.log"))
        print(f"dagster dev on {dev.url} (pid {dev.process.process.pid}); backfills over {days[0]}..{days[-1]}")
        ok = True
        for asset, policy in ASSETS:
            status, runs, failed, wall, span = backfill(dev.ui, asset, days, args.timeout)
            print(f"{asset} ({policy}): {status}, {runs} run(s) started for {len(days)} days ({failed} failed), {wall:.1f}s wall, "
                  f"first run start to last run end {span:.1f}s")
            ok = ok and status == "COMPLETED_SUCCESS" and not failed
        dev.process.stop()  # by PID, with its process group; nothing writes the zone any more
        result = verify_tree(RawZone.from_settings(settings).root)
        print(f"verify: {result.checked} data files, {len(result.problems)} problem(s)")
        return 0 if ok and result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
