"""Benchmark: the transactions intake against DuckDB's and pandas' split by date, in the same run.

A landing file of ``--rows`` purchases spread over ``--days`` days is split by UTC date twice,
each in a fresh child process (so start-up, imports and memory do not leak between them):

* duckdb: ``COPY (SELECT *, day FROM read_csv(...)) TO ... (PARTITION_BY day)``, what a user
  would reach for (all text columns, no manifests, no archive, no checks);
* baseline: ``pandas.read_csv`` of the whole file, ``to_datetime``, ``groupby`` date, ``to_csv``
  per day (no manifests, no archive, no checks, whole file in memory);
* intake: ``recomart_assets.lake.intake.run_pass`` with the transactions source (sha256, header
  contract, chunked record split, rejects, manifests, archive, ledger).

Prints both times (measured inside the child, after imports), the ratio (target <= 1.5x) and each
child's peak RSS, for the full file and a file of ``--small-rows`` rows: the intake's peak should
stay flat as the file grows, the baseline's grows with it.

Then the whole processes the issue compares, each timed from start to exit: ``recomart
ingest-transactions`` against a DuckDB process running only the COPY, for ``--rows`` and
``--large-rows`` rows, ``--repeats`` times each, interleaved (the fastest counts; every run is
printed with its CPU time, and the load average beside them); the difference between the two
sizes is the steady state, the rest start-up.

    .venv/bin/python bench/bench_transactions.py [--rows 1000000] [--large-rows 3000000] [--days 30]
                                                 [--small-rows 250000] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def child_baseline(source: Path, out: Path) -> None:
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_csv(source)
    day = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601", errors="coerce").dt.strftime("%Y-%m-%d")
    for key, group in frame.groupby(day):
        folder = out / key
        folder.mkdir(parents=True, exist_ok=True)
        group.to_csv(folder / "part.csv", index=False)
    report(time.perf_counter() - started, rows=len(frame))


def child_duckdb(source: Path, out: Path) -> None:
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect()
    rows = con.execute(f"SELECT count(*) FROM read_csv('{source}', all_varchar=true)").fetchone()[0]
    con.execute(
        f"COPY (SELECT *, strftime(try_cast(timestamp AS TIMESTAMPTZ) AT TIME ZONE 'UTC', '%Y-%m-%d') AS day "
        f"FROM read_csv('{source}', all_varchar=true)) TO '{out}' (FORMAT csv, HEADER, PARTITION_BY (day))"
    )
    report(time.perf_counter() - started, rows=rows)


def child_intake(source: Path, out: Path) -> None:
    from recomart_assets.lake import RawZone, intake
    from recomart_assets.sources.transactions import LANDING

    zone = RawZone.at(str(out))
    zone.create_tree()
    Path(zone.landing.path, source.name).hardlink_to(source)  # a drop, without copying the bytes
    started = time.perf_counter()
    result = intake.run_pass(LANDING, zone, settle_seconds=0)
    [outcome] = result.outcomes
    assert outcome.status == "ingested", outcome
    report(time.perf_counter() - started, rows=outcome.records, partitions=len(outcome.partitions))


# What the user runs, timed from start to exit: DuckDB's COPY ... PARTITION_BY alone.
_DUCKDB_PROCESS = """
import sys
import duckdb
source, out = sys.argv[1], sys.argv[2]
duckdb.connect().execute(
    f"COPY (SELECT *, strftime(try_cast(timestamp AS TIMESTAMPTZ) AT TIME ZONE 'UTC', '%Y-%m-%d') AS day "
    f"FROM read_csv('{source}', all_varchar=true)) TO '{out}' (FORMAT csv, HEADER, PARTITION_BY (day))")
"""


def whole_process(kind: str, source: Path, out: Path) -> tuple[float, float]:
    """Seconds from start to exit of ``recomart ingest-transactions`` (the file dropped in a fresh raw
    zone's landing folder beforehand) or of a DuckDB process running the COPY, and the CPU seconds
    it used (user + system, all its threads): on a machine shared with other work the CPU time
    moves much less than the elapsed time."""
    from recomart_assets.lake import RawZone

    env = None
    if kind == "duckdb":
        command = [sys.executable, "-c", _DUCKDB_PROCESS, str(source), str(out)]
    else:
        zone = RawZone.at(str(out))
        zone.create_tree()
        Path(zone.landing.path, source.name).hardlink_to(source)
        command = [str(Path(sys.executable).with_name("recomart")), "ingest-transactions", "--settle-seconds", "0"]
        env = {**os.environ, "RECOMART_RAW_ZONE": str(out)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutil.rmtree(out, ignore_errors=True)
    return elapsed, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def peak_rss_mib() -> float:
    """This process's peak RSS. ``VmHWM`` rather than ``ru_maxrss``, which Linux carries over from
    the parent through fork and exec (the parent holds the generated frame)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(seconds: float, **extra: int) -> None:
    print(json.dumps({"seconds": seconds, "peak_mib": peak_rss_mib(), **extra}))


def run_child(kind: str, source: Path, out: Path) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--source", str(source), "--out", str(out)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def make_landing_file(path: Path, rows: int, days: int) -> None:
    from recomart_assets.simulate import master
    from recomart_assets.simulate.transactions import COLUMNS, _csv_lines, generate_transactions

    first = date(2026, 3, 1)
    frame = generate_transactions(7, first, days, rows, master.generate_catalog(), master.DEFAULT_CUSTOMERS, "TXB")
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(COLUMNS) + "\n")
        for line in _csv_lines(frame):
            handle.write(line + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small-rows", type=int, default=250_000)
    parser.add_argument("--large-rows", type=int, default=3_000_000,
                        help="the second file of the whole-process comparison (steady state = the extra rows)")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=2,
                        help="whole-process runs of each contender per file size, interleaved (the fastest counts)")
    parser.add_argument("--child", choices=["baseline", "duckdb", "intake"])
    parser.add_argument("--source", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        {"baseline": child_baseline, "duckdb": child_duckdb, "intake": child_intake}[args.child](args.source, args.out)
        return
    with tempfile.TemporaryDirectory(prefix="bench-transactions-") as tmp:
        work = Path(tmp)
        results = {}
        for label, rows in (("small", args.small_rows), ("full", args.rows)):
            source = work / f"transactions_{rows}.csv"
            make_landing_file(source, rows, args.days)
            source.read_bytes()  # warm the page cache for both contenders
            results[label] = {
                "rows": rows,
                "mib": source.stat().st_size / 2**20,
                "baseline": run_child("baseline", source, work / f"baseline_{rows}"),
                "duckdb": run_child("duckdb", source, work / f"duckdb_{rows}"),
                "intake": run_child("intake", source, work / f"intake_{rows}"),
            }
        processes: dict[int, dict[str, float]] = {}
        runs: dict[int, dict[str, list[tuple[float, float]]]] = {}
        loads = [os.getloadavg()[0]]
        for rows in (args.rows, args.large_rows):
            source = work / f"transactions_{rows}.csv"
            if not source.exists():
                make_landing_file(source, rows, args.days)
            source.read_bytes()
            runs[rows] = {"duckdb": [], "intake": []}
            for attempt in range(args.repeats):
                for kind in ("duckdb", "intake"):
                    runs[rows][kind].append(whole_process(kind, source, work / f"process_{kind}_{rows}_{attempt}"))
            processes[rows] = {kind: min(elapsed for elapsed, _ in runs[rows][kind]) for kind in ("duckdb", "intake")}
            loads.append(os.getloadavg()[0])
    full = results["full"]
    ratio = full["intake"]["seconds"] / full["baseline"]["seconds"]
    print(f"landing file: {full['rows']:,} rows over {args.days} days ({full['mib']:.0f} MiB), "
          f"{full['intake']['partitions']} partitions")
    print(f"pandas baseline (read_csv, groupby date, to_csv): {full['baseline']['seconds']:.2f} s")
    print(f"duckdb baseline (read_csv, COPY ... PARTITION_BY day): {full['duckdb']['seconds']:.2f} s")
    print(f"recomart intake (hash, check, chunked split, manifests, archive): {full['intake']['seconds']:.2f} s")
    print(f"ratio intake/baseline: {ratio:.2f}x (target <= 1.5x) -> {'OK' if ratio <= 1.5 else 'MISSED'}")
    print(f"ratio intake/duckdb: {full['intake']['seconds'] / full['duckdb']['seconds']:.2f}x")
    print("whole processes, start to exit (recomart ingest-transactions vs a DuckDB COPY ... PARTITION_BY process), "
          f"fastest of {args.repeats}; load average {' -> '.join(f'{load:.1f}' for load in loads)} on "
          f"{os.cpu_count()} cores:")
    for rows, times in processes.items():
        print(f"  {rows:>9,} rows: intake {times['intake']:.2f} s, duckdb {times['duckdb']:.2f} s, "
              f"ratio {times['intake'] / times['duckdb']:.2f}x (target <= 1.5x)")
        for kind in ("intake", "duckdb"):
            print(f"    {kind:<6} every run (elapsed / CPU s): "
                  + ", ".join(f"{elapsed:.2f} / {cpu:.2f}" for elapsed, cpu in runs[rows][kind]))
    small_run, large_run = processes[args.rows], processes[args.large_rows]
    extra = args.large_rows - args.rows
    steady = {kind: large_run[kind] - small_run[kind] for kind in ("intake", "duckdb")}
    startup = {kind: small_run[kind] - steady[kind] * args.rows / extra for kind in ("intake", "duckdb")}
    print(f"  steady state, the extra {extra:,} rows: intake {steady['intake']:.2f} s, duckdb {steady['duckdb']:.2f} s, "
          f"ratio {steady['intake'] / steady['duckdb']:.2f}x")
    print(f"  start-up (the {args.rows:,}-row time less its share of the steady state): intake {startup['intake']:.2f} s,"
          f" duckdb {startup['duckdb']:.2f} s")
    print("peak RSS by file size (intake target: flat):")
    for label in ("small", "full"):
        r = results[label]
        print(f"  {r['rows']:>9,} rows ({r['mib']:5.0f} MiB): intake {r['intake']['peak_mib']:6.0f} MiB, "
              f"pandas {r['baseline']['peak_mib']:6.0f} MiB, duckdb {r['duckdb']['peak_mib']:6.0f} MiB")


if __name__ == "__main__":
    main()
