"""Clickstream CSV exports dropped in ``raw_zone/landing/clickstream/``: the file form of the events.

Each complete ``*.csv`` (``.tmp``/``.part`` and hidden names are still being written) is split by
event hour into the same ``clickstream/D/`` partitions as the Kafka events, one JSON object per row
(the contract's event fields, empty cells as null, extra columns kept), named after the file's
sha256 so a re-run after a crash rewrites the same files rather than adding copies. Rows without a
usable timestamp go to quarantine with the reason. Then the original is archived as received
(``archive/clickstream/<sha12>-<name>``, with its manifest) and removed from the landing folder; the
archive is the ledger: a file whose content was archived before, under any name, is not processed again.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, datetime

import orjson
from upath import UPath

from recomart_assets.lake import RawZone, complete_files, count_records, utc_now_iso, write_data_file
from recomart_assets.logs import get_logger, ingestion_run
from recomart_assets.sources.clickstream_lake import DATASET

log = get_logger("clickstream.exports")

INCOMPLETE_SUFFIXES = (".tmp", ".part")


def pending_exports(zone: RawZone) -> list[UPath]:
    """Complete CSV exports waiting in the landing folder, oldest name first."""
    folder = zone.clickstream_landing
    if not folder.exists():
        return []
    return sorted(
        (p for p in folder.iterdir()
         if p.is_file() and p.name.endswith(".csv") and not p.name.startswith(".")
         and not p.name.endswith(INCOMPLETE_SUFFIXES)),
        key=lambda p: p.name,
    )


def _place(row: dict[str, str | None]) -> tuple[datetime | None, str | None]:
    """(UTC time, None) for a row with a usable timestamp, else (None, reason)."""
    stamp = row.get("timestamp")
    if not stamp:
        return None, "missing timestamp"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None, f"unparseable timestamp: {stamp!r}"
    if moment.tzinfo is None:
        return None, f"timestamp without UTC offset: {stamp!r}"
    return moment.astimezone(UTC), None


def ingest_export(zone: RawZone, path: UPath) -> dict[str, int]:
    """Land one export file; returns counts (events, quarantined, files)."""
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    earlier = next(complete_files(zone.archive_dir(DATASET), f"{sha256[:12]}-*"), None)
    if earlier is not None:  # the same bytes, under any name, were landed before
        log.info("%s: identical content already processed as %s; removing the copy", path.name, earlier[0].name)
        path.unlink()
        return {"events": 0, "quarantined": 0, "files": 0, "already_processed": 1}
    archived = zone.archive_dir(DATASET) / f"{sha256[:12]}-{path.name}"
    lineage = {"type": "landing_file", "file": path.name, "sha256": sha256}
    hours: dict[tuple[str, int], list[bytes]] = {}
    rejected: list[bytes] = []
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    for row_number, row in enumerate(reader, start=2):  # row 1 is the header
        event = {key: (value if value != "" else None) for key, value in row.items() if key is not None}
        moment, reason = _place(event)
        if moment is None:
            rejected.append(orjson.dumps({"reason": reason, **lineage, "row": row_number, "record": event,
                                          "quarantined_at": utc_now_iso()}))
            continue
        hours.setdefault((moment.date().isoformat(), moment.hour), []).append(orjson.dumps(event))
    written = []
    for (day, hour), lines in sorted(hours.items()):
        target = zone.partition_dir(DATASET, day) / f"h{hour:02d}-export-{sha256[:12]}.jsonl"
        written.append(write_data_file(target, b"\n".join(lines) + b"\n", dataset=DATASET, partition=day,
                                       record_count=len(lines), fmt="jsonl", source=lineage))
    if rejected:
        day = datetime.now(UTC).date().isoformat()
        target = zone.quarantine_dir(DATASET, day) / f"export-{sha256[:12]}.jsonl"
        written.append(write_data_file(target, b"\n".join(rejected) + b"\n", dataset=DATASET, partition=day,
                                       record_count=len(rejected), fmt="jsonl", source=lineage))
    write_data_file(archived, data, dataset=DATASET, partition=None, record_count=count_records(data, "csv"),
                    fmt="csv", source={**lineage, "outputs": [m.file for m in written]})
    path.unlink()
    return {"events": sum(len(v) for v in hours.values()), "quarantined": len(rejected), "files": len(written)}


def ingest_clickstream_exports(zone: RawZone) -> dict[str, int]:
    """Land every pending export; returns the summed counts (and how many files were seen)."""
    totals = {"exports": 0, "events": 0, "quarantined": 0, "files": 0, "already_processed": 0}
    exports = pending_exports(zone)
    if not exports:
        return totals
    with ingestion_run("clickstream-exports", log, folder=str(zone.clickstream_landing)) as record:
        for path in exports:
            counts = ingest_export(zone, path)
            totals["exports"] += 1
            for key, value in counts.items():
                totals[key] += value
            record.files.append(path.name)
        record.counts.update(totals)
    return totals
