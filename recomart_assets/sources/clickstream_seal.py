"""Sealing a clickstream day: verify what the consumer wrote for day D and record it.

The consumer (``recomart consume``) writes hour files into ``clickstream/D/``; sealing verifies every
file of the day against its manifest, counts events, duplicate ``event_id``s (kept as received),
events per type and per hour, the day's quarantined records, and writes the partition-level
manifest ``clickstream/D/_partition.json`` (with its own ``.manifest``). Readers that want a sealed
day look for that file. Plain Python: the Dagster asset and sensor in ``defs/clickstream`` call it.

Late data: an event that arrives after D was sealed still lands in ``clickstream/D/`` (a new hour
file); :func:`days_to_seal` notices that the day's files differ from the ones its seal lists, and a
new seal counts the late events and bumps ``seal_count``.
"""

import hashlib
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import orjson

from recomart_assets.datasets import PARTITION_START
from recomart_assets.errors import PartitionNotClosed
from recomart_assets.lake import (
    RawZone,
    complete_files,
    count_records,
    read_manifest,
    read_verified_bytes,
    utc_now_iso,
    write_data_file,
)
from recomart_assets.lake.lineage import Derived
from recomart_assets.lake.readers import CorruptFileError, is_data_file_name
from recomart_assets.sources.clickstream_lake import DATASET, read_watermark

SEAL_FILE = "_partition.json"


def day_end(day: str) -> datetime:
    start = date.fromisoformat(day)
    return datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=1)


def read_seal(zone: RawZone, day: str) -> dict | None:
    """The partition manifest of a sealed day (verified), or None if the day was never sealed."""
    path = zone.partition_dir(DATASET, day) / SEAL_FILE
    if read_manifest(path) is None:
        return None
    return orjson.loads(read_verified_bytes(path))


def day_files(zone: RawZone, day: str) -> list[str]:
    """Names of the day's complete event files (what a seal covers)."""
    return [path.name for path, _ in complete_files(zone.partition_dir(DATASET, day), "*.jsonl")]


def seal_partition(zone: RawZone, topic: str, day: str, force: bool = False) -> dict:
    """Verify and summarise day ``day``, write its partition manifest and return it.

    Raises :class:`PartitionNotClosed` while the watermark is before the end of the day (unless
    ``force``) and :class:`~recomart_assets.lake.CorruptFileError` if a file fails its manifest.
    """
    watermark = read_watermark(zone, topic)
    closed = watermark is not None and watermark >= day_end(day)
    if not closed and not force:
        raise PartitionNotClosed(
            f"clickstream {day} is still open: watermark {watermark.isoformat() if watermark else 'not recorded yet'}"
            f" has not passed {day_end(day).isoformat()} (run the consumer, or force the seal)"
        )
    folder = zone.partition_dir(DATASET, day)
    previous = read_seal(zone, day)
    previous_files = {f["file"] for f in previous["files"]} if previous else set()
    files, per_type, per_hour, seen = [], Counter(), Counter(), set()
    events = duplicates = missing_ids = late_events = 0
    for path, manifest in complete_files(folder, "*.jsonl"):
        data = read_verified_bytes(path, manifest)
        if count_records(data, "jsonl") != manifest.record_count:
            raise CorruptFileError(f"{path}: record count differs from its manifest")
        hour = int(path.name[1:3]) if path.name[0] == "h" and path.name[1:3].isdigit() else None
        for line in data.splitlines():
            event = orjson.loads(line)
            per_type[str(event.get("event_type") or "(missing)")] += 1
            event_id = event.get("event_id")
            if event_id is None:
                missing_ids += 1
            elif event_id in seen:
                duplicates += 1
            else:
                seen.add(event_id)
        per_hour[f"{hour:02d}" if hour is not None else "unknown"] += manifest.record_count
        events += manifest.record_count
        if previous and path.name not in previous_files:
            late_events += manifest.record_count
        files.append({"file": path.name, "record_count": manifest.record_count, "md5": manifest.md5,
                      "source": dict(manifest.source)})
    incomplete = sorted(p.name for p in folder.iterdir() if is_data_file_name(p.name) and p.name != SEAL_FILE
                        and read_manifest(p) is None) if folder.exists() else []
    quarantined = sum(m.record_count for _, m in complete_files(zone.quarantine_dir(DATASET, day), "*.jsonl"))
    seal = {
        "partition": day,
        "sealed_at": utc_now_iso(),
        "watermark": watermark.isoformat() if watermark else None,
        "closed": closed,
        "forced": force and not closed,
        "seal_count": (previous["seal_count"] + 1) if previous else 1,
        "events": events,
        "distinct_event_ids": len(seen),
        "duplicate_event_ids": duplicates,
        "missing_event_ids": missing_ids,
        "events_per_type": dict(sorted(per_type.items())),
        "events_per_hour": dict(sorted(per_hour.items())),
        "quarantined": quarantined,
        "late_events": late_events,
        "incomplete_files": incomplete,
        "files": files,
    }
    write_data_file(folder / SEAL_FILE, orjson.dumps(seal, option=orjson.OPT_INDENT_2), dataset=DATASET,
                    partition=day, record_count=1, fmt="json",
                    source=Derived(derived="seal", inputs={"watermark": seal["watermark"], "files": len(files)}))
    return seal


def days_to_seal(zone: RawZone, topic: str) -> list[tuple[str, str]]:
    """(day, fingerprint of its files) for every closed day that is unsealed or has late files."""
    watermark = read_watermark(zone, topic)
    root = zone.root / DATASET
    if watermark is None or not root.exists():
        return []
    wanted = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        day = folder.name
        if day < PARTITION_START or day_end(day) > watermark:
            continue
        names = day_files(zone, day)
        seal = read_seal(zone, day)
        if names and (seal is None or sorted(f["file"] for f in seal["files"]) != names):
            wanted.append((day, hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]))
    return wanted

