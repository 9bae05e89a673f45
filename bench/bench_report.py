"""Benchmark: the daily Data Quality Report of a clickstream day, as a user runs it, against a hand-written pass.

Prepares a day as ``bench_validation.py`` does (realistic sessions, ~200 bytes per event, 24 hour
files with manifests, the day's catalog and customers), seals it as the daily run does before its
checks (the seal is timed apart: ingestion, not the report), then alternates over ``--rounds``:

1. the hand-written DuckDB pass computing the same content (``hand_written_duckdb.py``: the checks,
   nulls, distincts and ranges, top values, samples, segments, events per hour; no PDF), the whole
   process of ``python hand_written_duckdb.py`` (interpreter, imports, the pass);
2. ours: the whole process of ``dagster asset materialize --select data_quality_report --partition D
   -m recomart_assets.definitions`` (Dagster's start-up, the code location, the run: every dataset
   validated from nothing, states, JSON, PDF, HTML, index), with the report folder removed first.

Each is timed from outside (wall time; the CPU time beside it says more on a loaded machine), and
its peak resident memory is the largest ``ru_maxrss`` of the process
and the children it waited for (``wait4``). A small launcher process starts each measured command, so
the figure is not the generating parent's (Linux carries a forking parent's peak over to the child).
Prints each round, the ratio (target <= 1.0x) and the peak memory (target <= 1 GB, flat in the day's
size), the failure counts of both (they must agree) and the load average. Each round then runs both
on a day of 1,000 events: their fixed cost (interpreter, imports, for ours Dagster's CLI, the code
location, the instance, the run and the PDF), and what remains of the large day's time, the marginal
cost of its events; and Dagster's floor: the same command on ``dagster_floor_definitions.py``,
whose asset does nothing.

Run: ``.venv/bin/python bench/bench_report.py [--events 4000000] [--rounds 2] [--keep DIR] [--py-spy FILE]
[--compare-with CHECKOUT]`` (``CHECKOUT``: a folder holding another commit's ``recomart_assets``, run
in the same rounds: a before/after on one machine under one load)
(``--events 1000000`` for a quick run; ``--events 4000000,20000000`` to see memory stay flat).
With ``--compare-with`` each round also seals the day from nothing with both codes (the other's
first), timed like the rest: a seal's cost is part of what a day costs.
The machine may be shared: quote two runs and the load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import bench_validation as days  # bench/, beside this script: the generated day
import hand_written_duckdb

from recomart_assets.lake import RawZone
from recomart_assets.lake.columnar import copies_dir
from recomart_assets.platform.instance import DEFAULT_INSTANCE_YAML
from recomart_assets.sources.clickstream.seal import SEAL_FILE, read_seal

DAY = days.DAY
HERE = Path(__file__).resolve().parent
# The day whose report measures the fixed cost: start-up, the code location, the run, the PDF's pages.
SMALL_DAY_EVENTS = 1_000
BIN = Path(sys.executable).parent

# Starts a command, waits for it with wait4 and prints its wall time, CPU time and peak RSS (its own and
# its reaped children's). Being small, it hands the command a small inherited peak.
LAUNCHER = """
import json, os, sys, time
started = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)
_, status, usage = os.wait4(pid, 0)
print(json.dumps({"seconds": time.perf_counter() - started, "cpu": usage.ru_utime + usage.ru_stime,
                  "peak_mb": usage.ru_maxrss / 1024, "status": os.waitstatus_to_exitcode(status)}))
"""


def measured(command: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> dict:
    """Run ``command`` through the launcher (in ``cwd``): its wall time, peak memory and output."""
    with tempfile.TemporaryFile() as err:
        done = subprocess.run([sys.executable, "-c", LAUNCHER, *command], stdout=subprocess.PIPE, stderr=err,
                              env={**os.environ, **(env or {})}, check=False, timeout=3600, text=True, cwd=cwd)
        err.seek(0)
        measure = json.loads(done.stdout.strip().splitlines()[-1])
        if measure["status"] != 0:
            raise RuntimeError(f"{command[0]} failed ({measure['status']}):\n{err.read().decode()[-3000:]}")
    return {**measure, "output": done.stdout.strip().splitlines()[:-1]}


def hand_written(root: Path) -> dict:
    """The hand-written content pass, whole process; its failure counts."""
    run = measured([sys.executable, str(HERE / "hand_written_duckdb.py"), str(root), DAY])
    return {**run, "result": json.loads(run["output"][-1])}


def ours(root: Path, dagster_home: Path, py_spy: str | None = None, code: str | None = None) -> dict:
    """``dagster asset materialize`` of the day's report, whole process, from no report and no states
    (``code``: a checkout whose ``recomart_assets`` to run instead of the installed one)."""
    shutil.rmtree(root / "reports", ignore_errors=True)
    if not (dagster_home / "dagster.yaml").exists():  # the instance folder `recomart` commands create
        dagster_home.mkdir(parents=True, exist_ok=True)
        (dagster_home / "dagster.yaml").write_text(DEFAULT_INSTANCE_YAML, encoding="utf-8")
    command = [str(BIN / "dagster"), "asset", "materialize", "--select", "data_quality_report", "--partition", DAY,
               "-m", "recomart_assets.definitions"]
    if py_spy:
        command = [str(BIN / "py-spy"), "record", "--subprocesses", "--rate", "50", "--format", "raw", "-o", py_spy,
                   "--", *command]
    env = {"RECOMART_RAW_ZONE": str(root), "DAGSTER_HOME": str(dagster_home)}
    if code:  # `-m` puts the working folder first on the path, ahead of the editable install
        env["PYTHONPATH"] = code
    run = measured(command, env, cwd=code)
    results = json.loads((root / "reports" / DAY / "data_quality_report.json").read_text())
    section = results["datasets"]["clickstream"]
    checks = {c["name"]: c["failure_count"] for c in section["checks"]}
    return {**run, "result": {
        "rows": section["row_count"], "event_id: unique": checks["event_id: unique"],
        "user_id: in customers": checks["user_id: in customers"],
        "product_id: in catalog": checks["product_id: in product_catalog"],
        "device: one of": checks["device: one of web|ios|android"], "duplicate rows": checks["no duplicate rows"],
        "product_id present unless search": checks["product_id present unless search"]}}


def dagster_floor(dagster_home: Path) -> dict:
    """The same ``dagster asset materialize`` command on a definitions module whose asset does nothing
    (``dagster_floor_definitions.py``, beside this script), with the same instance."""
    command = [str(BIN / "dagster"), "asset", "materialize", "--select", "data_quality_report", "--partition", DAY,
               "-m", "dagster_floor_definitions"]
    return measured(command, {"DAGSTER_HOME": str(dagster_home)}, cwd=str(HERE))


def seal(root: Path, code: str | None = None) -> dict:
    """Seal the day (what the daily run does before its checks), in its own process (``code``: a
    checkout whose ``recomart_assets`` to run instead of the installed one)."""
    script = ("import sys; from recomart_assets.lake import RawZone; "
              "from recomart_assets.sources.clickstream.seal import seal_partition; "
              f"seal_partition(RawZone.at(sys.argv[1]), 'reco_clickstream', {DAY!r}, True)")
    return measured([sys.executable, "-c", script, str(root)], {"PYTHONPATH": code} if code else None, cwd=code)


def reseal(root: Path, code: str | None = None) -> dict:
    """Seal the day again from nothing (its seal and columnar copies removed first), timed."""
    for name in (SEAL_FILE, SEAL_FILE + ".manifest"):
        (root / "clickstream" / DAY / name).unlink(missing_ok=True)
    shutil.rmtree(copies_dir(RawZone.at(root), "clickstream", DAY), ignore_errors=True)
    return seal(root, code)


def prepare(root: Path, events: int) -> None:
    """The day's files with manifests, its catalog and customers, sealed (the seal timed apart)."""
    if not (root / "clickstream" / DAY).exists():
        zone = RawZone.at(root)
        zone.create_tree()
        days.write_references(zone)
        written = days.write_click_day(zone, events)
        print(f"generated {written:,} events ({written - events:,} re-sent)")
    size = sum(p.stat().st_size for p in (root / "clickstream" / DAY).glob("*.jsonl"))
    print(f"== clickstream day: {events:,} events, {size / 1e6:.0f} MB in 24 hour files")
    if read_seal(RawZone.at(root), DAY) is None:
        sealed = seal(root)
        print(f"seal of the day (ingestion, not in the figures below): {sealed['seconds']:.2f} s, "
              f"peak {sealed['peak_mb']:.0f} MB")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def benchmark(events: int, base: Path, rounds: int, py_spy: str | None, compare_with: str | None,
              small: Path) -> None:
    """``rounds`` alternated runs on a day of ``events``, each followed by both on the ``small`` day
    (the fixed cost: what is left is the marginal cost of the day's events)."""
    root = base / f"day-{events}"
    prepare(root, events)
    hands, mines = [], []
    for index in range(1, rounds + 1):  # alternated, so both see the same page cache and machine load
        before = load()
        if compare_with:  # the seal of each, from nothing, ours last (its copies are what ours reads)
            theirs, mine_sealed = reseal(root, compare_with), reseal(root)
            print(f"round {index}: seal from {compare_with} {theirs['seconds']:6.2f} s (CPU {theirs['cpu']:5.2f} s), "
                  f"peak {theirs['peak_mb']:5.0f} MB; ours {mine_sealed['seconds']:6.2f} s (CPU "
                  f"{mine_sealed['cpu']:5.2f} s), peak {mine_sealed['peak_mb']:5.0f} MB ({load()})")
        hands.append(hand_written(root))
        if compare_with:
            other = ours(root, base / "dagster_home", code=compare_with)
            print(f"round {index}: ours from {compare_with}: {other['seconds']:6.2f} s (CPU {other['cpu']:5.2f} s), "
                  f"peak {other['peak_mb']:5.0f} MB, ratio {other['seconds'] / hands[-1]['seconds']:.2f}x; same "
                  f"failure counts: {other['result'] == hands[-1]['result']}")
        mines.append(ours(root, base / "dagster_home"))
        hand, mine = hands[-1], mines[-1]
        print(f"round {index} ({before} before, {load()} after): hand-written DuckDB pass (checks + report content) "
              f"{hand['seconds']:6.2f} s (CPU {hand['cpu']:5.2f} s), peak {hand['peak_mb']:5.0f} MB; ours (dagster asset "
              f"materialize data_quality_report) {mine['seconds']:6.2f} s (CPU {mine['cpu']:5.2f} s), peak "
              f"{mine['peak_mb']:5.0f} MB; ratio {mine['seconds'] / hand['seconds']:.2f}x (CPU "
              f"{mine['cpu'] / hand['cpu']:.2f}x; target <= 1.0x, peak <= 1024 MB)")
        hand_small, mine_small = hand_written(small), ours(small, base / "dagster_home")
        floor = dagster_floor(base / "dagster_home")
        print(f"round {index}: fixed cost (the same on a {SMALL_DAY_EVENTS:,}-event day): hand-written "
              f"{hand_small['seconds']:5.2f} s, ours {mine_small['seconds']:5.2f} s; the marginal cost of the "
              f"{events:,} events: hand-written {hand['seconds'] - hand_small['seconds']:5.2f} s, ours "
              f"{mine['seconds'] - mine_small['seconds']:5.2f} s, ratio "
              f"{(mine['seconds'] - mine_small['seconds']) / (hand['seconds'] - hand_small['seconds']):.2f}x")
        print(f"round {index}: Dagster's floor (the same command, an asset that does nothing): {floor['seconds']:5.2f} s "
              f"(CPU {floor['cpu']:5.2f} s); ours at or below the hand-written pass would leave "
              f"{hand['seconds'] - floor['seconds']:5.2f} s for all of the report's work")
    print("same failure counts:", all(m["result"] == h["result"] for m, h in zip(mines, hands, strict=True)),
          mines[0]["result"], "" if mines[0]["result"] == hands[0]["result"] else hands[0]["result"])
    if py_spy:
        ours(root, base / "dagster_home", py_spy)
        print(f"profile of one more run of ours: {py_spy}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", default="4000000", help="clickstream days to measure, comma-separated")
    parser.add_argument("--rounds", type=int, default=2, help="alternated runs of each pass")
    parser.add_argument("--keep", help="keep the generated days in this folder (and reuse them)")
    parser.add_argument("--py-spy", help="after the rounds, profile one more run of ours into this file (py-spy's "
                                         "raw format, every process)")
    parser.add_argument("--compare-with", help="also run ours from this checkout of another commit (its folder holding "
                                               "recomart_assets, e.g. from `git archive main recomart_assets`), "
                                               "in the same rounds")
    args = parser.parse_args()
    print(f"{load()} (1, 5, 15 min), {os.cpu_count()} cores; baseline: {hand_written_duckdb.__name__}.py")
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-report-"))
    try:
        small = base / f"day-{SMALL_DAY_EVENTS}"
        prepare(small, SMALL_DAY_EVENTS)
        for events in (int(n) for n in args.events.split(",")):
            benchmark(events, base, args.rounds, args.py_spy, args.compare_with, small)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
