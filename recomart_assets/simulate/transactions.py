"""Synthetic transaction CSV drops, as the shop's order system would leave them in ``landing/``.

Customers and products come from the seeded master data (``C000001``..., ``P000001``...), prices
from the catalog (with the odd discount), ratings 1-5 on about a third of the purchases. Each
drop spans several days (late records from the previous days arrive with the next dump), and
about a third of the timestamps carry the shop's local offset (+05:30), so the UTC date is not
always the date written in the file. Files appear atomically: written as ``.part``, then renamed.

``dirty_rate`` injects what real dumps contain, and returns how many of each defect it injected:
missing values, duplicate rows, ratings outside 1-5, unparseable timestamps, unknown product ids
and malformed lines; plus, when above zero, one whole file with an unknown extra column and one
with a required column missing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
from upath import UPath

from recomart_assets.config import Settings
from recomart_assets.lake import RawZone
from recomart_assets.simulate import master
from recomart_assets.simulate.incidents import Incident, apply_to_transactions

COLUMNS = ["transaction_id", "customer_id", "product_id", "quantity", "price", "rating", "timestamp"]
SHOP_OFFSET = timedelta(hours=5, minutes=30)
# Share of purchases by hour of day (shop local time): quiet nights, busy evenings.
_HOURLY = np.array([1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 7, 6, 6, 6, 7, 8, 9, 10, 9, 7, 4, 2], dtype=float)
ROW_DEFECTS = ("missing_values", "rating_out_of_range", "unparseable_timestamp", "unknown_product", "malformed_lines")
_BAD_TIMESTAMPS = ["not-a-date", "31/02/2026 25:61", "yesterday", "2026-13-45T10:00:00Z", ""]


@dataclass
class DropReport:
    """What :func:`write_transaction_drops` wrote: file names, data lines and injected defects."""

    files: list[str] = field(default_factory=list)
    lines: int = 0  # data lines written (after each header), malformed ones included
    defects: dict[str, int] = field(default_factory=dict)

    def add(self, other: dict[str, int]) -> None:
        """Add ``other``'s defect counts to :attr:`defects` (kinds not seen yet start at 0), one drop after another."""
        for key, value in other.items():
            self.defects[key] = self.defects.get(key, 0) + value


def generate_transactions(
    seed: int, first_day: date, days: int, rows: int, catalog: pd.DataFrame, n_customers: int, prefix: str,
    until: datetime | None = None,
) -> pd.DataFrame:
    """Clean purchases over ``days`` shop-local days from ``first_day``, in time order.

    ``until``: no purchase after this instant (a drop holds what already happened): a purchase drawn
    later moves back by whole days, keeping its time of day. Without it, a drop made early in the
    UTC day would hold hours of purchases from the future, which ingestion rightly rejects.
    """
    rng = np.random.default_rng(seed)
    day_offsets = rng.integers(0, days, size=rows)
    hours = rng.choice(24, size=rows, p=_HOURLY / _HOURLY.sum())
    seconds = rng.integers(0, 3600, size=rows)
    local_times = pd.Timestamp(first_day) + pd.to_timedelta(day_offsets * 86400 + hours * 3600 + seconds, unit="s")
    utc = local_times - SHOP_OFFSET
    if until is not None:
        excess = ((utc - pd.Timestamp(until).tz_convert(None)) / pd.Timedelta(days=1)).to_numpy()
        back = pd.to_timedelta(np.ceil(np.clip(excess, 0, None)).astype(int), unit="D")
        local_times, utc = local_times - back, utc - back
    in_local = rng.random(rows) < 0.33
    stamps = [
        f"{lt:%Y-%m-%dT%H:%M:%S}+05:30" if is_local else f"{u:%Y-%m-%dT%H:%M:%S}Z"
        for lt, u, is_local in zip(local_times, utc, in_local, strict=True)
    ]
    popularity = rng.zipf(1.3, size=rows) % len(catalog)
    products = catalog.iloc[popularity]
    discount = np.where(rng.random(rows) < 0.15, rng.choice([0.9, 0.8, 0.75], size=rows), 1.0)
    ratings = np.where(rng.random(rows) < 0.35, rng.choice([1, 2, 3, 4, 5], size=rows, p=[.05, .08, .17, .35, .35]), 0)
    frame = pd.DataFrame({
        "transaction_id": [f"{prefix}-{i:07d}" for i in range(1, rows + 1)],
        "customer_id": [master.customer_id(int(n)) for n in rng.integers(1, n_customers + 1, size=rows)],
        "product_id": products["product_id"].to_numpy(),
        "quantity": rng.choice([1, 1, 1, 1, 2, 2, 3, 5], size=rows).astype(str),
        "price": [f"{p:.2f}" for p in products["price"].to_numpy() * discount],
        "rating": [str(r) if r else "" for r in ratings],
        "timestamp": stamps,
    })
    return frame.iloc[np.argsort(utc.to_numpy(), kind="stable")].reset_index(drop=True)


def inject_defects(frame: pd.DataFrame, rate: float, seed: int) -> tuple[list[str], dict[str, int]]:
    """CSV data lines (no header) of ``frame`` with row defects injected, and their counts."""
    rng = np.random.default_rng(seed + 11)
    frame = frame.copy()
    n = len(frame)
    k = int(n * rate) if rate > 0 else 0
    k = min(k, n // (len(ROW_DEFECTS) + 1))
    picks = rng.choice(n, size=k * len(ROW_DEFECTS), replace=False) if k else np.empty(0, dtype=int)
    chosen = dict(zip(ROW_DEFECTS, np.split(picks, len(ROW_DEFECTS)), strict=True)) if k else {}
    counts = {name: 0 for name in (*ROW_DEFECTS, "duplicate_rows")}
    for row in chosen.get("missing_values", []):
        frame.iat[int(row), frame.columns.get_loc(rng.choice(["customer_id", "product_id", "quantity", "price"]))] = ""
    for row in chosen.get("rating_out_of_range", []):
        frame.iat[int(row), frame.columns.get_loc("rating")] = str(rng.choice([0, 6, 7, 11]))
    for row in chosen.get("unparseable_timestamp", []):
        frame.iat[int(row), frame.columns.get_loc("timestamp")] = _BAD_TIMESTAMPS[rng.integers(len(_BAD_TIMESTAMPS))]
    for row in chosen.get("unknown_product", []):
        frame.iat[int(row), frame.columns.get_loc("product_id")] = f"P9{rng.integers(10**5):05d}"
    for name in ("missing_values", "rating_out_of_range", "unparseable_timestamp", "unknown_product"):
        counts[name] = len(chosen.get(name, []))
    lines = _csv_lines(frame)
    for row in chosen.get("malformed_lines", []):
        fields = lines[int(row)].split(",")
        lines[int(row)] = ",".join(fields[:3]) if rng.random() < 0.5 else ",".join([*fields, "oops", "7"])
    counts["malformed_lines"] = len(chosen.get("malformed_lines", []))
    clean = sorted(set(range(n)) - set(int(i) for i in picks))
    if k:
        repeats = rng.choice(clean, size=k, replace=False)
        lines.extend(lines[int(i)] for i in repeats)
        counts["duplicate_rows"] = k
    return lines, counts


def _csv_lines(frame: pd.DataFrame, columns: list[str] | None = None) -> list[str]:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, columns=columns, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return buffer.getvalue().splitlines()


def _drop(landing: UPath, name: str, header: list[str], lines: list[str]) -> None:
    """Write ``name`` the way a careful upstream does: a ``.part`` file, then a rename."""
    partial = landing / f"{name}.part"
    partial.write_text(",".join(header) + "\n" + "".join(line + "\n" for line in lines), encoding="utf-8")
    partial.rename(landing / name)


def write_transaction_drops(
    settings: Settings,
    *,
    seed: int = master.DEFAULT_SEED,
    days: int = 3,
    files: int = 3,
    rows_per_file: int = 2_000,
    dirty_rate: float = 0.0,
    last_day: date | None = None,
    incident: Incident | None = None,
) -> DropReport:
    """Drop ``files`` CSVs into ``landing/``, each spanning up to three days ending at ``last_day``.

    ``incident`` changes the rows of its day (:mod:`recomart_assets.simulate.incidents`).
    """
    zone = RawZone.from_settings(settings)
    zone.landing.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    last_day = last_day or now.date()
    catalog = master.generate_catalog(seed, master.DEFAULT_PRODUCTS)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    report = DropReport()
    for i in range(files):
        # File i ends on its own day within the last ``days`` and reaches back (late records).
        end = last_day - timedelta(days=round((files - 1 - i) * (days - 1) / max(files - 1, 1)))
        span = min(3, days)
        first = end - timedelta(days=span - 1)
        frame = generate_transactions(seed + i, first, span, rows_per_file, catalog, master.DEFAULT_CUSTOMERS,
                                      prefix=f"TX{end:%Y%m%d}{i:02d}", until=now)
        frame = apply_to_transactions(incident, frame, catalog)
        lines, counts = inject_defects(frame, dirty_rate, seed + i)
        name = f"transactions_{stamp}_{i + 1:03d}.csv"
        _drop(zone.landing, name, COLUMNS, lines)
        report.files.append(name)
        report.lines += len(lines)
        report.add(counts)
    if dirty_rate > 0:
        sample = generate_transactions(seed + files, last_day, 1, 50, catalog, master.DEFAULT_CUSTOMERS,
                                       prefix=f"TX{last_day:%Y%m%d}99", until=now)
        sample = apply_to_transactions(incident, sample, catalog)
        sample["coupon_code"] = "WELCOME10"
        extra = [*COLUMNS, "coupon_code"]
        _drop(zone.landing, f"transactions_{stamp}_extra_column.csv", extra, _csv_lines(sample, extra))
        missing = [c for c in COLUMNS if c != "quantity"]
        _drop(zone.landing, f"transactions_{stamp}_missing_column.csv", missing, _csv_lines(sample, missing))
        report.files += [f"transactions_{stamp}_extra_column.csv", f"transactions_{stamp}_missing_column.csv"]
        report.add({"files_extra_column": 1, "files_missing_column": 1})
    return report


def write_daily_drops(
    settings: Settings,
    days: list[date],
    *,
    seed: int = master.DEFAULT_SEED,
    rows_per_day: int = 2_000,
    dirty_rate: float = 0.0,
    incident: Incident | None = None,
) -> DropReport:
    """One landing CSV per UTC day, holding that whole day and nothing else.

    :func:`write_transaction_drops` spreads each file over several shop-local days, so its first and
    last UTC days are partial; a run of normal days compared with each other (anomaly detection)
    needs every day complete, as a daily export at midnight UTC delivers it.
    """
    zone = RawZone.from_settings(settings)
    zone.landing.mkdir(parents=True, exist_ok=True)
    catalog = master.generate_catalog(seed, master.DEFAULT_PRODUCTS)
    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    report = DropReport()
    for day in days:
        # Shop-local days ``day`` and the next cover UTC ``day`` (+05:30): keep that UTC day's rows.
        frame = generate_transactions(seed + day.toordinal(), day, 2, 2 * rows_per_day, catalog,
                                      master.DEFAULT_CUSTOMERS, prefix=f"TX{day:%Y%m%d}D", until=now)
        stamps = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
        frame = apply_to_transactions(incident, frame[stamps.dt.date == day].reset_index(drop=True), catalog)
        if frame.empty:
            continue
        lines, counts = inject_defects(frame, dirty_rate, seed + day.toordinal())
        name = f"transactions_{stamp}_{day:%Y%m%d}.csv"
        _drop(zone.landing, name, COLUMNS, lines)
        report.files.append(name)
        report.lines += len(lines)
        report.add(counts)
    return report
