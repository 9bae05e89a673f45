"""Frames in the raw zone: the formats round-trip, and the latest copy never goes back in time."""

from __future__ import annotations

import pandas as pd
import pytest

from recomart_assets.lake.frames import (
    LakeFrame,
    deserialize_frame,
    frame_writer,
    partition_file,
    serialize_frame,
    store_frame,
)
from recomart_assets.lake.lineage import Manual
from recomart_assets.lake.manifest import read_manifest
from recomart_assets.lake.readers import read_verified_bytes

FRAME = pd.DataFrame({"customer_id": ["C000001", "C000002"], "city": ["Pune", None]})


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_formats_round_trip(fmt):
    back = deserialize_frame(serialize_frame(FRAME, fmt), fmt)
    assert back["customer_id"].tolist() == ["C000001", "C000002"]
    assert pd.isna(back["city"].iloc[1])


def test_an_empty_jsonl_frame_is_empty_bytes_and_back():
    assert serialize_frame(FRAME.iloc[:0], "jsonl") == b""
    assert deserialize_frame(b"\n", "jsonl").empty


def test_unknown_formats_are_refused():
    with pytest.raises(ValueError, match="unsupported format 'xml'"):
        serialize_frame(FRAME, "xml")
    with pytest.raises(ValueError, match="unsupported format 'xml'"):
        deserialize_frame(b"", "xml")


def test_store_frame_writes_the_partition_and_a_latest_copy_only_if_newer(zone):
    source = Manual(by="test", command="store_frame")
    for day in ("2026-01-06", "2026-01-05"):  # a backfill of an older day comes second
        frame = FRAME.assign(city=[day, day])
        with frame_writer(zone, "customers", day):
            manifest = store_frame(zone, "customers", day, LakeFrame(frame, source), latest=True)
        path = partition_file(zone, "customers", day, "csv")
        assert path == zone.partition_dir("customers", day) / f"customers_{day}.csv"
        assert (manifest.partition, manifest.record_count, manifest.columns) == (day, 2, ["customer_id", "city"])
    latest = zone.latest_file("customers")
    assert b"2026-01-06" in read_verified_bytes(latest)
    assert read_manifest(latest).source.snapshot == "customers_2026-01-06.csv"
