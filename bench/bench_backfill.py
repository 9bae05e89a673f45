"""Benchmark: a multi-day asset backfill through ``dagster dev`` against the same work in-process.

In a temporary raw zone and Dagster instance:
1. ``--prepare`` runs ``recomart`` subcommands to create input data (default: the master exports);
   the services of ``recomart dev`` (``recomart_assets.platform.dev.SERVICES``) are started if missing;
2. ``dagster dev`` starts on a free loopback port, and an asset backfill of ``--days`` days ending
   yesterday is launched through the GraphQL API (as the UI's "Materialize" dialog does); the
   clock stops when the backfill daemon marks it complete. Prints wall time, runs, and the time
   the runs spent from launch to end;
3. baseline: the same assets and days executed in this process, one ``execute_in_process`` per
   day (what ``recomart demo`` does), on an ephemeral instance.

The difference is Dagster's orchestration: a run process per run (imports), the run queue and
the backfill daemon's 30-second loop. Times vary with the machine's load; compare both lines.

    .venv/bin/python bench/bench_backfill.py [--days 7] [--assets product_catalog,customers]
        [--prepare "simulate master"] [--prepare "simulate transactions --days 7"]
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dagster import DagsterInstance

from recomart_assets.config import Settings, child_environ
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.lake import RawZone, verify_tree
from recomart_assets.platform.dev import SERVICES, dagster_dev
from recomart_assets.platform.services import free_port


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--assets", default="", help="Comma-separated asset keys (default: every asset).")
    parser.add_argument("--prepare", action="append", default=None,
                        help="A recomart subcommand run first (repeatable); default: 'simulate master'.")
    parser.add_argument("--timeout", type=float, default=1800.0, help="Seconds to wait for the backfill.")
    parser.add_argument("--keep", default=None, help="Work in this (new) folder and keep it, to inspect runs after.")
    return parser.parse_args()


def backfill_days(n_days: int) -> list[str]:
    today = datetime.now(UTC).date()
    return [(today - timedelta(days=offset)).isoformat() for offset in range(n_days, 0, -1)]


def main() -> int:
    args = parse_args()
    from recomart_assets.definitions import defs

    graph = defs.get_repository_def().asset_graph
    all_keys = sorted(k.to_user_string() for k in graph.materializable_asset_keys)
    keys = [k.strip() for k in args.assets.split(",") if k.strip()] or all_keys
    days = backfill_days(args.days)
    recomart = str(Path(sys.executable).with_name("recomart"))
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
        for name, service in SERVICES:
            print(f"service {name}: starting unless reachable")
            stack.enter_context(service(settings))
        for prepare in args.prepare or ["simulate master"]:
            print(f"prepare: recomart {prepare}")
            subprocess.run([recomart, *shlex.split(prepare)], env=child_environ(settings), check=True,
                           stdout=subprocess.DEVNULL)

        print(f"backfill of {len(keys)} assets ({', '.join(keys)}) over {days[0]}..{days[-1]}")
        dev = stack.enter_context(dagster_dev(settings, port=free_port(), log_path=root / "dagster_dev.log"))
        started = time.perf_counter()
        backfill = dev.ui.launch_asset_backfill(keys, days, title=f"bench {args.days} days")
        status = dev.ui.wait_for_backfill(backfill, timeout=args.timeout)
        wall = time.perf_counter() - started
        runs = dev.ui.backfill_runs(backfill)
        run_spans = [r.end_time - r.start_time for r in runs if r.start_time and r.end_time]
        first_start = min((r.start_time for r in runs if r.start_time), default=None)
        last_end = max((r.end_time for r in runs if r.end_time), default=None)
        print(f"dagster dev backfill: {status} in {wall:.1f}s wall; {len(runs)} runs "
              f"({', '.join(sorted({r.status for r in runs}))}); run time sum {sum(run_spans):.1f}s, "
              f"first run start to last run end {(last_end - first_start) if first_start and last_end else 0:.1f}s")
        for run in runs:
            if run.status != "SUCCESS":
                tags = run.tags
                partition = tags.get("dagster/partition") or "{}..{}".format(
                    tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end"))
                print(f"  run {run.run_id} {run.status} for partition {partition}")
        dev.process.stop()  # before the baseline, so it does not compete for the cores

        job = defs.resolve_implicit_global_asset_job_def()
        selection = [graph.get(k).key for k in graph.materializable_asset_keys if k.to_user_string() in keys]
        instance = DagsterInstance.ephemeral()
        # This process's environment is not the benchmark's: point the resource at its folders.
        resource_config = RecomartResource.from_settings(settings).model_dump(exclude_none=True)
        run_config = {
            "resources": {"recomart": {"config": resource_config}},
            "loggers": {"console": {"config": {"log_level": "WARNING"}}},
        }
        started = time.perf_counter()
        outcomes = [
            job.execute_in_process(partition_key=day, asset_selection=selection, instance=instance,
                                   run_config=run_config, raise_on_error=False).success
            for day in days
        ]
        baseline = time.perf_counter() - started
        print(f"in-process baseline: {sum(outcomes)}/{len(days)} days succeeded in {baseline:.1f}s")
        print(f"ratio backfill/in-process: {wall / baseline:.1f}x")
        result = verify_tree(RawZone.from_settings(settings).root)
        print(f"verify: {result.checked} data files, {len(result.problems)} problem(s)")
        return 0 if status == "COMPLETED_SUCCESS" and all(outcomes) and result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
