"""Benchmark: validation at a storefront's volume, against hand-written passes run beside it.

1. Transactions, 1,000,000 rows: the reference engine (pyarrow reader + pandera's pandas backend)
   and the DuckDB engine (verify + load + every check, profile and segment) against a hand-written
   pandas pass of the same checks; then the whole partition's results (5 datasets).
2. A clickstream day of 1M and 4M events (realistic sessions, ~200 bytes per event, in hour files
   with manifests, as the consumer writes them, then sealed as the daily run seals a day before its
   checks; the seal is timed apart): ours = ``write_quality_report`` from nothing (every
   dataset validated, states written, JSON and PDF with 30 earlier days of states) against a
   hand-written DuckDB pass of the same checks (the fastest form a user would write: the day loaded
   once as a table, one aggregate query, key and duplicate-row hashing, anti-joins for references);
   beside it, the same pass extended with what the report shows beyond the checks (profiles, top
   values, hours, segments, samples; no PDF), the fair measure of the engine itself. Each runs in a
   fresh process, so its peak memory (ru_maxrss) is its own. With two sizes, the marginal cost per
   extra million events (steady state) and our fixed part are printed apart.
3. The report rendering time with 30 days of states.

Run: ``.venv/bin/python bench/bench_validation.py [--rows N] [--events 1000000,4000000] [--rounds 2] [--keep DIR]``
(a 20M-event day: ``--rows 0 --events 20000000 --rounds 1``, about 4 GB of files).
The machine is shared: quote two runs and the load (``uptime``).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hand_written_duckdb as baseline  # bench/, beside this script
import numpy as np
import pandas as pd
import pyarrow as pyarrow_lib
import pyarrow.compute as pc

from recomart_assets.lake import RawZone, count_records, open_data_file, write_data_file
from recomart_assets.quality import References, validate_frame, write_quality_report
from recomart_assets.quality.engines import duckdb_engine as duckdb_engine_module
from recomart_assets.quality.engines.loading import csv_strings
from recomart_assets.quality.engines.references import load_references
from recomart_assets.quality.report.pdf.document import render_pdf
from recomart_assets.quality.results import history
from recomart_assets.quality.states import read_state, state_path, write_state
from recomart_assets.simulate.clickstream import FUNNEL, HOUR_WEIGHTS, SEARCH_TERMS
from recomart_assets.simulate.master import generate_catalog, generate_customers
from recomart_assets.sources.clickstream.seal import read_seal, seal_partition

DAY = "2026-01-05"
COLUMNS = ["transaction_id", "customer_id", "product_id", "quantity", "price", "rating", "timestamp"]
EVENT_TYPES = ("search", "view", "click", "add_to_cart")
DEVICES = ("web", "android", "ios")
HISTORY_DAYS = 30


# -- transactions ----------------------------------------------------------------------------------
def partition_csv(rows: int, seed: int = 7) -> bytes:
    """A realistic day: 1% of ratings out of range, 0.5% unknown products, 0.1% bad prices and
    quantities, 0.2% missing ratings, 0.1% duplicate rows."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "transaction_id": [f"T{i:09d}" for i in range(rows)],
        "customer_id": [f"C{x:06d}" for x in rng.integers(1, 20_001, rows)],
        "product_id": [f"P{x:06d}" for x in rng.integers(1, 2_011, rows)],
        "quantity": rng.integers(1, 5, rows).astype(str),
        "price": np.round(rng.lognormal(3, 1, rows), 2).astype(str),
        "rating": rng.integers(1, 6, rows).astype(str),
        "timestamp": (pd.Timestamp(DAY, tz="UTC") + pd.to_timedelta(rng.integers(0, 86_400, rows), unit="s"))
        .strftime("%Y-%m-%dT%H:%M:%S+00:00"),
    })
    frame.loc[rng.choice(rows, rows // 100, replace=False), "rating"] = "7"
    frame.loc[rng.choice(rows, rows // 1000, replace=False), "price"] = "abc"
    frame.loc[rng.choice(rows, rows // 1000, replace=False), "quantity"] = "0"
    frame.loc[rng.choice(rows, rows // 500, replace=False), "rating"] = ""
    frame = pd.concat([frame, frame.sample(rows // 1000, random_state=seed)], ignore_index=True)
    return frame.to_csv(index=False).encode()


def references() -> References:
    return References({("product_catalog", "product_id"): pd.Index([f"P{i:06d}" for i in range(1, 2_001)]),
                       ("customers", "customer_id"): pd.Index([f"C{i:06d}" for i in range(1, 20_001)])})


def hand_written(data: bytes, refs: References) -> dict[str, int]:
    """The same checks, written directly in vectorised pandas."""
    df = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_values=[""])
    start = pd.Timestamp(DAY, tz="UTC")
    counts = {"columns present": len(set(COLUMNS) - set(df.columns)),
              "no unexpected columns": len(set(df.columns) - set(COLUMNS))}
    typed = {}
    for column, kind in (("quantity", "integer"), ("price", "number"), ("rating", "number"), ("timestamp", "ts")):
        raw = df[column]
        if kind == "ts":
            value = pd.to_datetime(raw, utc=True, format="ISO8601", errors="coerce")
        else:
            value = pd.to_numeric(raw, errors="coerce")
            if kind == "integer":
                value = value.where(value == np.floor(value))
        counts[f"{column}: type"] = int((raw.notna() & value.isna()).sum())
        typed[column] = value
    for column in ("transaction_id", "customer_id", "product_id", "quantity", "price", "timestamp"):
        counts[f"{column}: not null"] = int(df[column].isna().sum())
    counts["transaction_id: unique"] = int(df["transaction_id"].duplicated().sum())
    counts["no duplicate rows"] = int(df.duplicated().sum())
    counts["customer_id: format"] = int((~df["customer_id"].str.fullmatch(r"C\d{6}").fillna(True)).sum())
    counts["product_id: format"] = int((~df["product_id"].str.fullmatch(r"P\d{6}").fillna(True)).sum())
    counts["customer_id: in customers"] = int((df["customer_id"].notna() & ~df["customer_id"].isin(refs.ids[("customers", "customer_id")])).sum())
    counts["product_id: in catalog"] = int((df["product_id"].notna() & ~df["product_id"].isin(refs.ids[("product_catalog", "product_id")])).sum())
    counts["quantity >= 1"] = int((typed["quantity"] < 1).sum())
    counts["price > 0"] = int((typed["price"] <= 0).sum())
    counts["rating in 1..5"] = int(((typed["rating"] < 1) | (typed["rating"] > 5)).sum())
    ts = typed["timestamp"]
    counts["timestamp in day"] = int(((ts < start) | (ts >= start + pd.Timedelta(days=1))).sum())
    return counts


def reference_engine(data: bytes, refs: References) -> dict[str, int]:
    validation = validate_frame("transactions", csv_strings(data), DAY, refs)
    return {c.name: c.failure_count for c in validation.checks}


def timed(fn, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def best_of(repeats: int, fn, *args) -> tuple[float, object]:
    runs = [timed(fn, *args) for _ in range(repeats)]
    return min(t for t, _ in runs), runs[0][1]


def write_references(zone: RawZone) -> None:
    for dataset, frame in (("product_catalog", generate_catalog()), ("customers", generate_customers())):
        data = frame.to_csv(index=False).encode()
        write_data_file(zone.partition_dir(dataset, DAY) / f"{dataset}_{DAY}.csv", data, dataset=dataset, partition=DAY,
                        record_count=count_records(data, "csv"), fmt="csv", source={"type": "benchmark"})


def transactions_benchmark(rows: int, repeats: int) -> None:
    data, refs = partition_csv(rows), references()
    print(f"== transactions partition: {rows:,} rows (+{rows // 1000:,} duplicates), {len(data) / 1e6:.1f} MB CSV")
    hand_s, hand_counts = best_of(repeats, hand_written, data, refs)
    ours_s, our_counts = best_of(repeats, reference_engine, data, refs)
    read_s, frame = best_of(repeats, csv_strings, data)
    validate_s, _ = best_of(repeats, validate_frame, "transactions", frame, DAY, refs)
    print(f"hand-written pandas pass            : {hand_s:6.2f} s")
    print(f"reference engine (pandas, checks)   : {ours_s:6.2f} s  (read {read_s:.2f} s + validate {validate_s:.2f} s)"
          f"  ratio {ours_s / hand_s:.2f}x")
    print("same failure counts                 :", {k: v for k, v in our_counts.items() if v}, "vs",
          {k: v for k, v in hand_counts.items() if v})
    with tempfile.TemporaryDirectory() as folder:
        zone = RawZone.at(folder)
        zone.create_tree()
        write_references(zone)
        write_data_file(zone.partition_dir("transactions", DAY) / "ingested_bench.csv", data, dataset="transactions",
                        partition=DAY, record_count=count_records(data, "csv"), fmt="csv", source={"type": "benchmark"})
        refs_data = load_references(zone, DAY)
        engine_s, _ = best_of(repeats, duckdb_engine_module.validate_partition, zone, "transactions", DAY, refs_data)
        print(f"DuckDB engine (verify, load, checks, profiles, charts, segments): {engine_s:6.2f} s"
              f"  ratio {engine_s / hand_s:.2f}x")
        report_s, report = timed(write_quality_report, zone, DAY)
        print(f"whole report of the partition (5 datasets, states, JSON, PDF): {report_s:.2f} s")
        render_s = render_with_history(zone, report.results)
        print(f"PDF rendering with {HISTORY_DAYS} days of states: {render_s:.2f} s")


def render_with_history(zone: RawZone, results: dict) -> float:
    """Give the zone 30 earlier days of states (copies of this day's), then time trends + PDF."""
    for offset in range(1, HISTORY_DAYS + 1):
        day = (pd.Timestamp(DAY) - pd.Timedelta(days=offset)).date().isoformat()
        for dataset in results["datasets"]:
            state = read_state(zone, dataset, DAY)
            if state is not None:
                write_state(zone, dataclasses.replace(state, partition=day))
    started = time.perf_counter()
    render_pdf(results, history(zone, DAY, HISTORY_DAYS))
    return time.perf_counter() - started


# -- a clickstream day -----------------------------------------------------------------------------
def _funnel() -> np.ndarray:
    """Cumulative transition probabilities between event types (the simulator's shopping funnel)."""
    matrix = np.zeros((4, 4))
    for current, (choices, cumulative) in FUNNEL.items():
        for choice, p in zip(choices, np.diff((0.0, *cumulative)), strict=True):
            matrix[EVENT_TYPES.index(current), EVENT_TYPES.index(choice)] = p
    return matrix.cumsum(axis=1)


def _ids(letter: bytes, numbers: np.ndarray, width: int = 6) -> np.ndarray:
    """``b"P000123"``: fixed-width digits with the letter written over the leading 1."""
    out = (numbers + 10**width).astype(f"S{width + 1}")
    out.view(np.uint8).reshape(-1, width + 1)[:, 0] = letter[0]
    return out


def _hex(numbers: np.ndarray, nbytes: int) -> np.ndarray:
    raw = numbers.astype(">u8").view(np.uint8).reshape(-1, 8)[:, 8 - nbytes:].tobytes().hex().encode()
    return np.frombuffer(raw, dtype=f"S{2 * nbytes}")


def _pick(options, index: np.ndarray) -> np.ndarray:
    return np.array([o.encode() for o in options])[index]


def click_lines(events: int, seed: int = 7, n_products: int = 2_000, n_customers: int = 20_000
                ) -> tuple[np.ndarray, pyarrow_lib.Array]:
    """(UTC hour, JSON line) per event, in time order: the simulator's sessions, vectorised.

    Sessions of ~6 events on one device (web in UTC, apps in +05:30), a search/view/click/cart
    funnel over Zipf-popular products; defects at real rates: 0.3% unknown products, 0.1% unknown
    users, 0.02% unknown devices, 0.1% missing product ids, 1% carry an unknown extra field.
    """
    rng = np.random.default_rng(seed)
    lengths = np.maximum(1, rng.exponential(6, events // 3 + 10).astype(np.int64))
    ends = np.cumsum(lengths)
    sessions = int(np.searchsorted(ends, events)) + 1
    lengths = lengths[:sessions].copy()
    lengths[-1] -= ends[sessions - 1] - events
    offsets = np.cumsum(lengths) - lengths
    position = np.arange(events) - np.repeat(offsets, lengths)
    session = np.repeat(np.arange(sessions), lengths)
    start = rng.choice(24, sessions, p=np.diff((0, *HOUR_WEIGHTS)) / HOUR_WEIGHTS[-1]) * 3600 + rng.uniform(0, 3600, sessions)
    types = np.empty(events, np.int8)
    types[offsets] = np.where(rng.random(sessions) < 0.3, 0, 1)
    cumulative = _funnel()
    by_length = np.argsort(-lengths, kind="stable")
    for k in range(1, int(lengths.max())):
        index = offsets[by_length[: int(np.sum(lengths > k))]] + k
        types[index] = (rng.random(len(index))[:, None] > cumulative[types[index - 1]]).sum(axis=1).clip(0, 3)
    gaps = rng.uniform(3, 90, events)
    gaps[offsets] = 0
    elapsed = np.cumsum(gaps)
    seconds = np.minimum(start[session] + elapsed - np.repeat(elapsed[offsets], lengths), 86_399.999)
    draw = (n_products * rng.random(events) ** 2.5).astype(np.int64) + 1
    new_product = (types == 1) | (position == 0) | ((types == 0) & (rng.random(events) < 0.2))
    product = draw[np.maximum.accumulate(np.where(new_product, np.arange(events), 0))]
    device = rng.choice(3, sessions, p=[0.5, 0.3, 0.2])[session]
    user = rng.integers(1, n_customers + 1, sessions)[session]
    r = rng.random(events)
    product = np.where(r < 0.003, 9_999, product)
    user = np.where((r > 0.5) & (r < 0.501), 999_999, user)
    device_text = _pick(DEVICES, device)
    device_text[(r > 0.6) & (r < 0.6002)] = b"fax"
    moment = np.datetime64(DAY, "ms") + (seconds * 1000).astype("timedelta64[ms]")
    local = np.where(device == 0, moment, moment + np.timedelta64(330, "m"))
    search = types == 0
    product_json = np.where(search | ((r > 0.7) & (r < 0.701)), b"null", np.char.add(np.char.add(b'"', _ids(b"P", product)), b'"'))
    term = _pick(SEARCH_TERMS, rng.integers(0, len(SEARCH_TERMS), events))
    parts = [
        b'{"event_id":"e-', _hex(rng.integers(0, 2**63, events), 8),
        b'","user_id":"', _ids(b"C", user),
        b'","session_id":"s-', _hex(rng.integers(0, 2**48, sessions), 6)[session],
        b'","event_type":"', _pick(EVENT_TYPES, types),
        b'","product_id":', product_json,
        b',"search_term":', np.where(search, np.char.add(np.char.add(b'"', term), b'"'), b"null"),
        b',"device":"', device_text,
        b'","timestamp":"', np.datetime_as_string(local, unit="ms").astype("S23"),
        np.where(device == 0, b'+00:00"', b'+05:30"'),
        np.where((r > 0.8) & (r < 0.81), b',"campaign":"spring"', b""), b"}\n",
    ]
    arrays = [pyarrow_lib.array(np.full(events, p, dtype=f"S{len(p)}") if isinstance(p, bytes) else p, pyarrow_lib.large_binary())
              for p in parts]
    lines = pc.binary_join_element_wise(*arrays, pyarrow_lib.scalar(b"", pyarrow_lib.large_binary()))
    order = np.argsort(seconds, kind="stable")
    return (seconds[order] // 3600).astype(int), lines.take(pyarrow_lib.array(order))


def write_click_day(zone: RawZone, events: int, seed: int = 7) -> int:
    """The day as 24 hour files with manifests; 0.1% of events re-sent shortly after (duplicates)."""
    hours, lines = click_lines(events, seed)
    bounds = np.searchsorted(hours, np.arange(25))
    rng = np.random.default_rng(seed + 1)
    written = 0
    for hour in range(24):
        chunk = lines.slice(bounds[hour], bounds[hour + 1] - bounds[hour]).to_pylist()
        for index in sorted(rng.choice(len(chunk), len(chunk) // 1000, replace=False), reverse=True):
            chunk.insert(min(len(chunk), index + 50), chunk[index])
        path = zone.partition_dir("clickstream", DAY) / f"h{hour:02d}-reco_clickstream-p0-o{written:012d}.jsonl"
        with open_data_file(path, dataset="clickstream", partition=DAY, fmt="jsonl", source={"type": "benchmark"}) as out:
            for start in range(0, len(chunk), 50_000):
                part = chunk[start:start + 50_000]
                out.write(b"".join(part), records=len(part))
        written += len(chunk)
    return written


def hand_written_duckdb(root: str) -> dict:
    """The same clickstream checks as one would write them in DuckDB SQL (no verification, no profile)."""
    return baseline.checks(root, DAY)


def hand_written_duckdb_report_content(root: str) -> dict:
    """The hand-written pass plus what the report shows beyond the checks (no PDF)."""
    return baseline.report_content(root, DAY)


def ours(root: str) -> dict:
    """``write_quality_report`` of the day from nothing: every dataset validated, states, JSON, PDF."""
    zone = RawZone.at(root)
    report = write_quality_report(zone, DAY)
    checks = {c["name"]: c["failure_count"] for c in report.results["datasets"]["clickstream"]["checks"]}
    return {"rows": report.results["datasets"]["clickstream"]["row_count"],
            "event_id: unique": checks["event_id: unique"], "user_id: in customers": checks["user_id: in customers"],
            "product_id: in catalog": checks["product_id: in product_catalog"],
            "device: one of": checks["device: one of web|ios|android"], "duplicate rows": checks["no duplicate rows"],
            "product_id present unless search": checks["product_id present unless search"]}


CHILDREN = {"hand-written-duckdb": hand_written_duckdb, "ours": ours,
            "hand-written-report-content": hand_written_duckdb_report_content}


def run_child(name: str, root: str) -> dict:
    """Run one measured step in a fresh process: its time, peak memory and result."""
    done = subprocess.run([sys.executable, __file__, "--child", name, root], capture_output=True, text=True,
                          check=False, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, it starts afresh at exec, so a
    child does not inherit the parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_main(name: str, root: str) -> None:
    baseline = peak_rss_mb()  # the imports alone
    started = time.perf_counter()
    result = CHILDREN[name](root)
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "baseline_mb": baseline, "result": result}))


def clickstream_benchmark(sizes: list[int], keep: str | None, rounds: int) -> None:
    best: dict[int, tuple[float, float]] = {}  # events -> (best hand-written, best ours)
    for events in sizes:
        root = Path(keep or tempfile.mkdtemp(prefix="bench-click-")) / f"day-{events}"
        if not (root / "clickstream" / DAY).exists():
            zone = RawZone.at(root)
            zone.create_tree()
            write_references(zone)
            written = write_click_day(zone, events)
        else:
            written = None
        size = sum(p.stat().st_size for p in (root / "clickstream" / DAY).glob("*.jsonl"))
        print(f"== clickstream day: {events:,} events{f' (+{written - events:,} re-sent)' if written else ''}, "
              f"{size / 1e6:.0f} MB in 24 hour files")
        if read_seal(RawZone.at(root), DAY) is None:
            # what the daily run does before the checks (materializing `clickstream` seals the day);
            # ingestion work, timed apart: it verifies and counts the day and records each file's fields
            seal_s, _ = timed(seal_partition, RawZone.at(root), "reco_clickstream", DAY, True)
            print(f"seal of the day (ingestion side, not in the figures below): {seal_s:.2f} s")
        hands, mines, contents = [], [], []
        for _ in range(rounds):  # alternated, so both see the same page cache and machine load
            hands.append(run_child("hand-written-duckdb", str(root)))
            contents.append(run_child("hand-written-report-content", str(root)))
            shutil.rmtree(root / "reports", ignore_errors=True)  # ours starts from nothing (no states)
            mines.append(run_child("ours", str(root)))
        for index, (hand, content, mine) in enumerate(zip(hands, contents, mines, strict=True), start=1):
            print(f"round {index}: hand-written DuckDB pass (checks only): {hand['seconds']:6.2f} s, peak "
                  f"{hand['peak_mb']:5.0f} MB (imports alone {hand['baseline_mb']:.0f} MB)")
            print(f"round {index}: hand-written, checks + the report's profile content (no PDF): "
                  f"{content['seconds']:6.2f} s, peak {content['peak_mb']:5.0f} MB; ours against it "
                  f"{mine['seconds'] / content['seconds']:.2f}x")
            print(f"round {index}: ours, checks + report (5 datasets, states, JSON, PDF): {mine['seconds']:6.2f} s, "
                  f"peak {mine['peak_mb']:5.0f} MB, ratio {mine['seconds'] / hand['seconds']:.2f}x (target <= 1.0x)")
        best_hand, best_mine = min(h["seconds"] for h in hands), min(m["seconds"] for m in mines)
        best[events] = (best_hand, best_mine)
        print(f"best of {rounds}: ratio {best_mine / best_hand:.2f}x; peak memory ours "
              f"{max(m['peak_mb'] for m in mines):.0f} MB (target <= 1 GB at 4M events, <= 2 GB at 20M)")
        print("same failure counts:", all(m["result"] == h["result"] for m, h in zip(mines, hands, strict=True)),
              mines[0]["result"])
        zone = RawZone.at(root)
        state = read_state(zone, "clickstream", DAY)
        print(f"state file: {state_path(zone, 'clickstream', DAY).stat().st_size / 1e3:.0f} kB, "
              f"distinct counts: {state.distinct_method}")
        if keep is None:
            shutil.rmtree(root.parent, ignore_errors=True)
    if len(best) > 1:
        # steady state apart from start-up: what each extra million events costs either pass
        (small, (hand_small, ours_small)), (large, (hand_large, ours_large)) = min(best.items()), max(best.items())
        millions = (large - small) / 1e6
        hand_rate, ours_rate = (hand_large - hand_small) / millions, (ours_large - ours_small) / millions
        print(f"marginal cost per extra million events ({small:,} -> {large:,}): hand-written {hand_rate:.2f} s, "
              f"ours {ours_rate:.2f} s, ratio {ours_rate / hand_rate:.2f}x; fixed part of ours (the rest: "
              f"small datasets, states, JSON, PDF) {ours_small - ours_rate * small / 1e6:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="transactions rows (0: skip)")
    parser.add_argument("--events", default="1000000,4000000", help="clickstream days to measure (empty: skip)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="alternated runs of each clickstream pass")
    parser.add_argument("--keep", help="keep the generated clickstream days in this folder (and reuse them)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(*args.child)
        return
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1, 5, 15 min), "
          f"{os.cpu_count()} cores")
    if args.rows:
        transactions_benchmark(args.rows, args.repeats)
    if args.events:
        clickstream_benchmark([int(n) for n in args.events.split(",")], args.keep, args.rounds)


if __name__ == "__main__":
    main()
