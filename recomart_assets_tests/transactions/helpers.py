"""Dropping files as an upstream would, and reading back what the intake wrote (independently of its
own bookkeeping)."""

from __future__ import annotations

import hashlib
import os
import time

from recomart_assets.lake import RawZone, complete_files, read_csv_verified
from recomart_assets.sources import transaction_csv as tcsv

HEADER = ",".join(tcsv.CONTRACT_COLUMNS)


def row(n: int, timestamp: str, rating: str = "4") -> str:
    return f"T{n:05d},C{n % 50 + 1:06d},P{n % 20 + 1:06d},1,19.99,{rating},{timestamp}"


def csv_text(rows: list[str], header: str = HEADER) -> str:
    return header + "\n" + "".join(r + "\n" for r in rows)


def drop(zone: RawZone, name: str, content: str | bytes, age: float = 60.0) -> str:
    """Write a landing file whose last modification was ``age`` seconds ago (settled)."""
    path = os.path.join(zone.landing.path, name)
    with open(path, "wb") as handle:
        handle.write(content.encode() if isinstance(content, str) else content)
    past = time.time() - age
    os.utime(path, (past, past))
    return name


def partition_records(zone: RawZone) -> dict[str, int]:
    """Records per transactions partition, from the files and manifests on disk."""
    folder = zone.root / "transactions"
    counts: dict[str, int] = {}
    for day_dir in sorted(folder.iterdir(), key=lambda p: p.name) if folder.exists() else []:
        for path, manifest in complete_files(day_dir, "ingested_*.csv"):
            counts[day_dir.name] = counts.get(day_dir.name, 0) + len(read_csv_verified(path, manifest))
    return counts


def partition_digests(zone: RawZone) -> dict[str, str]:
    folder = zone.root / "transactions"
    return {
        f"{path.parent.name}/{path.name}": hashlib.md5(path.read_bytes()).hexdigest()
        for path in folder.glob("*/ingested_*.csv")
    }


def quarantined_rows(zone: RawZone) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in (zone.root / "quarantine" / "transactions").glob("*/rejected_*.csv"):
        rows += read_csv_verified(path, keep_default_na=False).to_dict("records")
    return rows
