"""Benchmark: our validation of a 1,000,000-row transactions partition vs a hand-written pandas pass.

Both start from the partition's CSV bytes and end with a failure count per check (same checks:
columns, types, not-null, unique key, duplicate rows, id formats, references, ranges, partition
day). The hand-written pass is what one writes with plain pandas: ``pd.read_csv`` with text
columns, ``pd.to_numeric``/``pd.to_datetime`` with ``errors="coerce"``, vectorised masks. Ours is
:func:`recomart_assets.quality.loading.csv_strings` (pyarrow reader, pyarrow strings) plus
:func:`recomart_assets.quality.validate_frame` (pyarrow casts, then pandera, lazily). Also times the
PDF rendering of a report with 30 days of history.

Run: ``.venv/bin/python bench/bench_validation.py [--rows N]``
"""

from __future__ import annotations

import argparse
import copy
import io
import tempfile
import time

import numpy as np
import pandas as pd

from recomart_assets.lake import RawZone, count_records, write_data_file
from recomart_assets.quality import References, build_results, validate_frame
from recomart_assets.quality.loading import csv_strings
from recomart_assets.quality.report_pdf import render_pdf
from recomart_assets.simulate.master import generate_catalog, generate_customers

DAY = "2026-01-05"
COLUMNS = ["transaction_id", "customer_id", "product_id", "quantity", "price", "rating", "timestamp"]


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
    return References(pd.Index([f"P{i:06d}" for i in range(1, 2_001)]), pd.Index([f"C{i:06d}" for i in range(1, 20_001)]))


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
    counts["customer_id: in customers"] = int((df["customer_id"].notna() & ~df["customer_id"].isin(refs.customer_ids)).sum())
    counts["product_id: in catalog"] = int((df["product_id"].notna() & ~df["product_id"].isin(refs.product_ids)).sum())
    counts["quantity >= 1"] = int((typed["quantity"] < 1).sum())
    counts["price > 0"] = int((typed["price"] <= 0).sum())
    counts["rating in 1..5"] = int(((typed["rating"] < 1) | (typed["rating"] > 5)).sum())
    ts = typed["timestamp"]
    counts["timestamp in day"] = int(((ts < start) | (ts >= start + pd.Timedelta(days=1))).sum())
    return counts


def ours(data: bytes, refs: References) -> dict[str, int]:
    validation = validate_frame("transactions", csv_strings(data), DAY, refs)
    return {c.name: c.failure_count for c in validation.checks}


def timed(fn, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def best_of(repeats: int, fn, *args) -> tuple[float, object]:
    runs = [timed(fn, *args) for _ in range(repeats)]
    return min(t for t, _ in runs), runs[0][1]


def raw_zone_with(folder: str, transactions_csv: bytes) -> RawZone:
    """A raw zone holding the benchmark partition plus the day's catalog and customers."""
    zone = RawZone.at(folder)
    zone.create_tree()
    files = {
        ("transactions", "ingested_bench.csv"): transactions_csv,
        ("product_catalog", f"product_catalog_{DAY}.csv"): generate_catalog().to_csv(index=False).encode(),
        ("customers", f"customers_{DAY}.csv"): generate_customers().to_csv(index=False).encode(),
    }
    for (dataset, name), data in files.items():
        write_data_file(zone.partition_dir(dataset, DAY) / name, data, dataset=dataset, partition=DAY,
                        record_count=count_records(data, "csv"), fmt="csv", source={"type": "benchmark"})
    return zone


def history_of(results: dict, days: int) -> list[dict]:
    earlier = []
    for offset in range(days, 0, -1):
        day = (pd.Timestamp(results["partition"]) - pd.Timedelta(days=offset)).date().isoformat()
        earlier.append({**copy.deepcopy(results), "partition": day})
    return earlier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data, refs = partition_csv(args.rows), references()
    print(f"transactions partition: {args.rows:,} rows (+{args.rows // 1000:,} duplicates), {len(data) / 1e6:.1f} MB CSV")
    hand_s, hand_counts = best_of(args.repeats, hand_written, data, refs)
    ours_s, our_counts = best_of(args.repeats, ours, data, refs)
    read_s, frame = best_of(args.repeats, csv_strings, data)
    validate_s, _ = best_of(args.repeats, validate_frame, "transactions", frame, DAY, refs)
    print(f"hand-written pandas pass : {hand_s:6.2f} s")
    print(f"our validation           : {ours_s:6.2f} s  (read {read_s:.2f} s + validate {validate_s:.2f} s)")
    print(f"ratio ours / hand-written: {ours_s / hand_s:6.2f}x  (target <= 1.0x)")
    print("same failure counts      :", {k: v for k, v in our_counts.items() if v}, "vs",
          {k: v for k, v in hand_counts.items() if v})

    with tempfile.TemporaryDirectory() as folder:
        zone = raw_zone_with(folder, data)
        build_s, results = timed(build_results, zone, DAY)
        render_s, pdf = timed(render_pdf, results, history_of(results, 30))
    print(f"results of the whole partition (5 datasets, profiles): {build_s:.2f} s")
    print(f"PDF rendering with 30 days of history: {render_s:.2f} s ({len(pdf) / 1e3:.0f} kB)")

if __name__ == "__main__":
    main()
