"""Two landing passes at once on an S3 raw zone (moto's server on loopback) take each file exactly
once: the intake's zone lock is a lease object there (``lake/leases.py``)."""

from __future__ import annotations

import os
import subprocess
import sys

import boto3
import pytest

from recomart_assets.lake import RawZone, complete_files, verify_tree
from recomart_assets_tests.fixtures.landing import csv_text, row

pytestmark = pytest.mark.integration

FILES, ROWS = 6, 150


def test_two_concurrent_landing_passes_take_each_file_once(s3_bucket):
    zone = RawZone.at(f"s3://{s3_bucket}/lake")
    zone.create_tree()
    s3 = boto3.client("s3")
    for f in range(FILES):
        rows = [row(f * 1000 + i, f"2026-03-0{1 + i % 3}T{i % 24:02d}:{f:02d}:00Z") for i in range(ROWS)]
        s3.put_object(Bucket=s3_bucket, Key=f"lake/landing/orders_{f}.csv", Body=csv_text(rows).encode())
    env = {**os.environ, "RECOMART_RAW_ZONE": str(zone.root)}
    argv = [sys.executable, "-m", "recomart_assets", "ingest-transactions", "--settle-seconds", "0"]
    passes = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in range(2)]
    outputs = []
    for process in passes:
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr[-4000:]
        outputs.append(stdout)
    taken = [line.split()[1].rstrip(":") for out in outputs for line in out.splitlines() if line.startswith("ingested ")]
    assert sorted(taken) == sorted(f"'orders_{f}.csv'" for f in range(FILES)), outputs
    records = sum(manifest.record_count
                  for day in ("2026-03-01", "2026-03-02", "2026-03-03")
                  for _, manifest in complete_files(zone.partition_dir("transactions", day), "ingested_*.csv"))
    assert records == FILES * ROWS
    assert len(list(zone.archive_dir("transactions").glob("*/*.csv"))) == FILES
    assert [p for p in zone.landing.iterdir() if p.is_file() and not p.name.startswith(".")] == []
    assert list((zone.state_dir / "locks").glob("*.lease")) == []
    assert verify_tree(zone.root).ok
