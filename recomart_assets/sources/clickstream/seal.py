"""Sealing a clickstream day: verify what the consumer wrote for day D and record it.

The consumer (``recomart consume``) writes hour files into ``clickstream/D/``; sealing verifies every
file of the day against its manifest, counts events, duplicate ``event_id``s (kept as received),
events per type and per hour, the day's quarantined records, and writes the partition-level
manifest ``clickstream/D/_partition.json`` (with its own ``.manifest``). Readers that want a sealed
day look for that file. Each file's entry also records its fields (its first top-level keys and their
types, how many it left out, its longest line: :func:`recomart_assets.lake.fields.recorded`, bounded
whatever the events carry): validation reads them here instead of making its own pass over the day.
Each narrow file also gets a columnar copy (:mod:`recomart_assets.lake.columnar`, under
``_state/columnar/clickstream/D/``): its events' fields as text in Parquet, which validation reads
instead of parsing the JSON again while the file and its manifest are unchanged. The counting is one out-of-core DuckDB scan (:func:`count_events`), so a
day of tens of millions of events seals in flat memory. Plain Python:
the Dagster asset and sensor in ``defs/clickstream`` call it.

Late data: an event that arrives after D was sealed still lands in ``clickstream/D/`` (a new hour
file); :func:`days_to_seal` notices that the day's files differ from the ones its seal lists, and a
new seal counts the late events and bumps ``seal_count``.

Bounded files: the consumer writes one file per event hour and batch, so an hour that received
events during many batches (offline buffers flushed over days, a slow trickle) has many small
files. Sealing merges, per (hour, topic, Kafka partition, cluster), the batch files of an hour that
has more than :data:`MAX_SEALED_FILES` into one file whose lineage lists every batch file it holds
(``segments``) and the files it replaces (``supersedes``). The swap is atomic for readers: the
merged file appears with its manifest, and from that instant :func:`~recomart_assets.lake.complete_files`
hides the replaced files, which are deleted next; a crash in between leaves them hidden, and the
next seal deletes them. The newest batch of a log is never merged (the consumer may still roll it
forward or back from its files): the day is listed first and the newest batch found after that
listing, so a batch whose files appear while the seal runs counts as newest, and on a local raw
zone the merge of a Kafka partition's files holds that partition's lock, which the consumer holds
while it publishes a batch or decides where to resume. So the consumer's resume logic never has to
look inside a merged file, and never deletes a file a merge covers. One seal of a day at a time (a
lock file on a local raw zone).
"""

import hashlib
import tempfile
from collections import Counter, defaultdict
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import duckdb
import orjson
from upath import UPath

from recomart_assets.datasets import PARTITION_START
from recomart_assets.errors import PartitionNotClosed
from recomart_assets.lake import (
    Manifest,
    RawZone,
    complete_files,
    manifest_path,
    open_data_file,
    read_manifest,
    read_verified_bytes,
    steps,
    utc_now_iso,
    write_data_file,
)
from recomart_assets.lake.atomic import parse_temporary_name
from recomart_assets.lake.columnar import StagedCopy, can_copy, find_copy, publish_copies, raw_stamp, stage_copy
from recomart_assets.lake.columnar import column as copy_column
from recomart_assets.lake.fields import recorded
from recomart_assets.lake.files import remove_data_file
from recomart_assets.lake.lineage import Derived, KafkaBatch
from recomart_assets.lake.locks import zone_lock
from recomart_assets.lake.readers import CorruptFileError, is_data_file_name
from recomart_assets.lake.scanning import (
    Lanes,
    connect,
    event_rows,
    line_widths,
    literal,
    local_files,
    scan_failure,
    scan_fields,
)
from recomart_assets.logs import get_logger
from recomart_assets.sources.clickstream.batches import (
    BATCH_FILE,
    DATASET,
    MERGED_FILE,
    batch_folders,
    merged_file_name,
    name_epoch,
    partition_lock,
)
from recomart_assets.sources.clickstream.watermarks import read_watermark

log = get_logger("clickstream.seal")

steps.declare(
    "seal.merged-written",  # a merged file and its manifest are in place: the files it replaces are hidden
    "seal.replaced-deleted",  # the replaced batch files (and their manifests) are gone
    "seal.copies-written",  # the columnar copies of the day's files are in place (a cache: _state/columnar/clickstream/)
    "seal.partition-written",  # the day's partition manifest (_partition.json) is in place
)

SEAL_FILE = "_partition.json"
MAX_SEALED_FILES = 2  # data files per (hour, topic, Kafka partition, cluster) a sealed day keeps at most
# Distinct event ids counted in one scan at most: DuckDB holds a distinct count's set in memory (a
# GROUP BY does too here: neither spilled), and 20M ids ran out of the default 512 MB limit where
# 4M fit. A larger day is counted in parts split by the ids' hash, one scan each.
DISTINCT_IDS_PER_SCAN = 4_000_000
_SEGMENT_FIELDS = ("batch_start_offset", "batch_end_offset", "batch_files", "cluster_id", "consumer_group",
                   "log_epoch", "topic_id", "last_message")  # the consumer's resume may need the last three


def day_end(day: str) -> datetime:
    """Midnight UTC after ``day``: the day is closed, and may be sealed, once the consumer's watermark has reached
    it (a seal before that must be forced)."""
    start = date.fromisoformat(day)
    return datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=1)


def read_seal(zone: RawZone, day: str) -> dict | None:
    """The partition manifest of a sealed day (verified), or None if the day was never sealed."""
    path = zone.partition_dir(DATASET, day) / SEAL_FILE
    if read_manifest(path) is None:
        return None
    return orjson.loads(read_verified_bytes(path))


def recorded_fields(zone: RawZone, day: str) -> dict[str, tuple[str, dict]]:
    """File name -> (md5, what the day's seal recorded of its fields: :func:`~recomart_assets.lake.fields.recorded`)
    (validation reads a file's fields from here instead of finding them again, for files whose md5 still matches)."""
    seal = read_seal(zone, day)
    return {f["file"]: (f["md5"], {k: f[k] for k in ("fields", "fields_left_out", "widest_line") if k in f})
            for f in (seal or {}).get("files", ()) if "fields" in f}


def day_files(zone: RawZone, day: str) -> list[str]:
    """Names of the day's complete event files (what a seal covers)."""
    return [path.name for path, _ in complete_files(zone.partition_dir(DATASET, day), "*.jsonl")]


def seal_partition(zone: RawZone, topic: str, day: str, force: bool = False) -> dict:
    """Merge the day's small batch files, verify and summarise the day, write its partition manifest and return it.

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
    with seal_lock(zone, day):
        merged = merge_day(zone, day)
        return _seal(zone, day, watermark, closed, force, merged)


def _held_files(entry: dict) -> set[str]:
    """Names of the batch files a sealed file entry holds (itself, or a merge's segments)."""
    segments = entry.get("source", {}).get("segments")
    return {s["file"] for s in segments} if segments else {entry["file"]}


def _seal(zone: RawZone, day: str, watermark: datetime | None, closed: bool, force: bool, merged: int) -> dict:
    folder = zone.partition_dir(DATASET, day)
    previous = read_seal(zone, day)
    previous_files = set().union(*(_held_files(f) for f in previous["files"])) if previous else set()
    listed = list(complete_files(folder, "*.jsonl"))
    counted = count_events(zone, day, listed)
    files, per_hour = [], Counter()
    late_events = 0
    for path, manifest in listed:
        records, fields = counted.files.get(path.name, (0, {}))
        if records != manifest.record_count:
            raise CorruptFileError(f"{path}: {records} events, its manifest says {manifest.record_count}")
        hour = int(path.name[1:3]) if path.name[0] == "h" and path.name[1:3].isdigit() else None
        per_hour[f"{hour:02d}" if hour is not None else "unknown"] += manifest.record_count
        if previous:
            late_events += sum(s["record_count"] for s in _segments(path, manifest) if s["file"] not in previous_files)
        files.append({"file": path.name, "record_count": manifest.record_count, "md5": manifest.md5,
                      "source": manifest.source.to_source(), **fields})
    events = sum(manifest.record_count for _, manifest in listed)
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
        "distinct_event_ids": counted.distinct_ids,
        "duplicate_event_ids": counted.present_ids - counted.distinct_ids,
        "missing_event_ids": events - counted.present_ids,
        "events_per_type": dict(sorted(counted.per_type.items())),
        "events_per_hour": dict(sorted(per_hour.items())),
        "quarantined": quarantined,
        "late_events": late_events,
        "merged_files": merged,
        "incomplete_files": incomplete,
        "files": files,
    }
    write_data_file(folder / SEAL_FILE, orjson.dumps(seal, option=orjson.OPT_INDENT_2), dataset=DATASET,
                    partition=day, record_count=1, fmt="json",
                    source=Derived(derived="seal", inputs={"watermark": seal["watermark"], "files": len(files)}))
    steps.reached("seal.partition-written")
    return seal


@dataclass
class DayCounts:
    """What one out-of-core pass over a day's event files found."""

    files: dict[str, tuple[int, dict]] = field(default_factory=dict)  # name -> (events, lake.fields.recorded)
    per_type: Counter = field(default_factory=Counter)  # event type as text ("(missing)": null or empty)
    present_ids: int = 0  # events with an event_id
    distinct_ids: int = 0


def count_events(zone: RawZone, day: str, listed: list[tuple[UPath, Manifest]]) -> DayCounts:
    """Verify the files (streamed hash) and count them with DuckDB: events per file and type, event
    ids present and distinct (exact, spilling beyond the memory limit), and each file's fields; and
    write the columnar copy of each narrow file (:mod:`~recomart_assets.lake.columnar`), published once
    its file's bytes are verified, so validation reads the day's fields without parsing JSON again.

    The copies are staged first and the counts read from them (the files without one are read as
    JSON), so the seal parses each event for its fields and once more for its values. The key pass
    and the copies take :class:`~recomart_assets.lake.scanning.Lanes` (two one-thread DuckDBs side
    by side: less CPU than one DuckDB over both threads for the same wall time). A day of tens
    of millions of events is never held in Python objects: a 20M-event day sealed in 481 MB.
    Values are read as text (an ``event_id`` of ``5`` and one of ``"5"`` are the same id).
    """
    counts = DayCounts()
    readable = [(path, manifest) for path, manifest in listed if manifest.bytes > 0]
    if not readable:
        publish_copies(zone, DATASET, day, [], {path.name for path, _ in listed})
        return counts
    stamps = {path.name: raw_stamp(path) for path, _ in readable}  # before the files are read
    with tempfile.TemporaryDirectory(prefix="recomart-seal-") as workdir:
        paths, verifying = local_files(zone, readable, workdir)
        names = dict(zip(paths, (path.name for path, _ in readable), strict=True))
        connection = connect(workdir)
        lanes = Lanes(workdir)
        try:
            widths = line_widths(paths)  # wide files are streamed (lake.scanning)
            fields: dict[str, dict[str, str]] = {}
            for found in lanes.map(lambda lane, group: scan_fields(lane, group, widths), [paths[0::2], paths[1::2]]):
                fields.update(found)
            entries = {path: recorded(fields[path], widths[path]) for path in paths}
            staged = _stage_copies(zone, day, lanes, readable, paths, entries, stamps, workdir)
            events = _events(connection, paths, widths, staged)
            per_file: Counter = Counter()
            for filename, kind, n, ids in connection.execute(
                    f"SELECT filename, coalesce(nullif(event_type, ''), '(missing)'), count(*), count(event_id) "
                    f"FROM {events} GROUP BY ALL").fetchall():
                per_file[filename] += n
                counts.per_type[kind] += n
                counts.present_ids += ids
            counts.distinct_ids = _distinct_ids(connection, events, counts.present_ids)
            counts.files = {names[path]: (per_file[path], entries[path]) for path in paths}
        except duckdb.Error as exc:
            raise scan_failure(exc, f"clickstream {day}") from exc
        finally:
            connection.close()
            lanes.close()
            if verifying is not None:
                verifying.result()  # a file that does not match its manifest raises here
        publish_copies(zone, DATASET, day, list(staged.values()), {path.name for path, _ in listed})
    steps.reached("seal.copies-written")
    return counts


def _distinct_ids(connection: duckdb.DuckDBPyConnection, events: str, present: int) -> int:
    """The number of distinct non-null ``event_id`` of ``events`` (``present`` of them are not null), counted
    in as many parts as :data:`DISTINCT_IDS_PER_SCAN` asks for: each id falls in exactly one part."""
    parts = max(1, -(-present // DISTINCT_IDS_PER_SCAN))
    if parts == 1:
        return connection.execute(f"SELECT count(DISTINCT event_id) FROM {events}").fetchone()[0]
    return sum(connection.execute(f"SELECT count(DISTINCT event_id) FROM {events} "
                                  f"WHERE hash(event_id) % {parts} = {part}").fetchone()[0] for part in range(parts))


def _stage_copies(zone: RawZone, day: str, lanes: Lanes, readable: list[tuple[UPath, Manifest]], paths: list[str],
                  entries: dict[str, dict], stamps: dict[str, list[int]], workdir: str) -> dict[str, StagedCopy]:
    """Local path -> the columnar copy staged in ``workdir``, for the files that lack a current one
    (a file whose copy is current keeps it and is counted from its JSON); files side by side, one a lane."""
    jobs = []
    for index, ((path, manifest), local) in enumerate(zip(readable, paths, strict=True)):
        entry = entries[local]
        if not can_copy(entry["fields"], entry["fields_left_out"], entry["widest_line"]):
            continue
        current = find_copy(zone, DATASET, day, path, manifest)
        if current is None or current.fields != entry["fields"]:
            jobs.append((index, path, manifest, local))

    def stage(connection: duckdb.DuckDBPyConnection, job: tuple[int, UPath, Manifest, str]) -> StagedCopy | None:
        index, path, manifest, local = job
        return stage_copy(connection, local, path.name, manifest, stamps[path.name], entries[local]["fields"],
                          f"{workdir}/copy-{index:06d}.parquet")

    copies = lanes.map(stage, jobs)
    return {local: copy for (*_, local), copy in zip(jobs, copies, strict=True) if copy is not None}


def _events(connection: duckdb.DuckDBPyConnection, paths: list[str], widths: dict[str, int],
            staged: dict[str, StagedCopy]) -> str:
    """SQL of every event's ``filename`` (its local path), ``event_id`` and ``event_type`` as text: read
    from the staged copies where there is one (the values the JSON gives, already extracted), else
    from the files (:func:`~recomart_assets.lake.scanning.event_rows`)."""
    parts = []
    for path, copy in staged.items():
        keys = list(copy.fields)
        values = [copy_column(keys.index(key)) if key in keys else "CAST(NULL AS VARCHAR)"
                  for key in ("event_id", "event_type")]
        parts.append(f"SELECT {literal(path)} AS filename, {values[0]} AS event_id, {values[1]} AS event_type "
                     f"FROM read_parquet({literal(copy.work_file)})")
    rest = [path for path in paths if path not in staged]
    if rest:
        parts.append(f"SELECT filename, event_id, event_type FROM "
                     f"{event_rows(connection, rest, widths, ('event_id', 'event_type'))}")
    return "(" + " UNION ALL ".join(parts) + ")"


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


def seal_lock(zone: RawZone, day: str) -> AbstractContextManager[bool]:
    """One seal of ``day`` at a time (CLI, sensor runs, a backfill): merges must not overlap."""
    return zone_lock(zone, f"seal:{day}")


def _tidy(folder: UPath) -> None:
    """Finish what an interrupted merge left: replaced files still present, merged files without a manifest."""
    if not folder.exists():
        return
    complete = dict(complete_files(folder, "*.jsonl"))
    superseded = {name for manifest in complete.values() if isinstance(manifest.source, KafkaBatch)
                  for name in manifest.source.supersedes or ()}
    for path in folder.iterdir():
        name = path.name
        temporary = parse_temporary_name(name)
        if temporary is not None:
            if MERGED_FILE.match(temporary.final_name.removesuffix(".manifest")):
                path.unlink(missing_ok=True)
        elif name in superseded:
            log.info("%s: removing %s, replaced by a merge that was interrupted", folder, name)
            remove_data_file(path)
        elif MERGED_FILE.match(name) and path not in complete and not manifest_path(path).exists():
            log.info("%s: removing %s, a merge cut short before its manifest", folder, name)
            path.unlink(missing_ok=True)


def _latest_batches(zone: RawZone) -> dict[tuple[str, int, str, int], int]:
    """(topic, partition, cluster tag, epoch) -> start offset of its newest batch, over the whole lake (names only)."""
    latest: dict[tuple[str, int, str, int], int] = {}
    for root in batch_folders(zone):
        for folder in root.iterdir() if root.exists() else ():
            for path in folder.iterdir() if folder.is_dir() else ():
                match = BATCH_FILE.match(path.name)
                if match and match["cluster"]:
                    key = (match["topic"], int(match["partition"]), match["cluster"], name_epoch(match))
                    latest[key] = max(latest.get(key, -1), int(match["offset"]))
    return latest


def _segments(path: UPath, manifest: Manifest) -> list[dict]:
    """The batch files a file holds: itself, or the segments of an earlier merge."""
    source = manifest.source.to_source()  # a segment keeps the batch file's lineage fields as written
    if isinstance(manifest.source, KafkaBatch) and manifest.source.segments:
        return list(manifest.source.segments)
    return [{"file": path.name, "record_count": manifest.record_count, "md5": manifest.md5,
             **{k: source[k] for k in _SEGMENT_FIELDS if k in source}}]


def _merge(folder: UPath, day: str, group: list[tuple[UPath, Manifest]], hour: int | None) -> str:
    """Merge ``group`` (files of one hour, topic, partition and cluster) into one file; returns its name."""
    group = sorted(group, key=lambda item: _segments(*item)[0]["batch_start_offset"])
    segments = [segment for path, manifest in group for segment in _segments(path, manifest)]
    first = group[0][1].source
    if not isinstance(first, KafkaBatch):  # only Kafka batch files with a cluster id are grouped
        raise TypeError(f"{group[0][0]}: not a Kafka batch file")
    epoch = name_epoch(BATCH_FILE.match(group[0][0].name) or MERGED_FILE.match(group[0][0].name))
    name = merged_file_name(first.topic, first.partition, max(s["batch_start_offset"] for s in segments),
                            len(segments), hour, first.cluster_id, epoch)
    lineage = KafkaBatch(
        topic=first.topic, partition=first.partition, cluster_id=first.cluster_id,
        consumer_group=first.consumer_group or "", quarantine=hour is None, batch_files=1,
        batch_start_offset=min(s["batch_start_offset"] for s in segments),
        batch_end_offset=max(s["batch_end_offset"] for s in segments),
        segments=segments, supersedes=[path.name for path, _ in group],
    )
    with open_data_file(folder / name, dataset=DATASET, partition=day, fmt="jsonl", source=lineage) as out:
        for path, manifest in group:
            out.write(read_verified_bytes(path, manifest), records=manifest.record_count)
    steps.reached("seal.merged-written")
    for path, _ in group:  # the merged manifest exists: these are hidden already
        remove_data_file(path)
    steps.reached("seal.replaced-deleted")
    return name


def merge_day(zone: RawZone, day: str) -> int:
    """Merge the batch files of every hour of ``day`` that has more than MAX_SEALED_FILES; returns files merged.

    Call under :func:`seal_lock`. Events and quarantine alike, per (hour, topic, partition, log).
    Each Kafka partition's files are merged under its :func:`partition_lock`, listed before the
    newest batches are looked up: a batch that appears meanwhile is the newest and stays as it is.
    """
    merged = 0
    for folder in (zone.partition_dir(DATASET, day), zone.quarantine_dir(DATASET, day)):
        _tidy(folder)
        owners = sorted({(m["topic"], int(m["partition"])) for p in (folder.iterdir() if folder.exists() else ())
                         if (m := BATCH_FILE.match(p.name) or MERGED_FILE.match(p.name)) and m["cluster"]})
        for topic, partition in owners:
            with partition_lock(zone, topic, [partition]):
                merged += _merge_partition(zone, folder, day, topic, partition)
    return merged


def _merge_partition(zone: RawZone, folder: UPath, day: str, topic: str, partition: int) -> int:
    groups: dict[tuple, list[tuple[UPath, Manifest]]] = defaultdict(list)
    for path, manifest in complete_files(folder, "*.jsonl"):  # first the listing ...
        match = BATCH_FILE.match(path.name) or MERGED_FILE.match(path.name)
        if (not match or not match["cluster"] or not isinstance(manifest.source, KafkaBatch)
                or manifest.source.cluster_id is None
                or (match["topic"], int(match["partition"])) != (topic, partition)):
            continue  # exports, files of other tools or partitions, batches from before cluster tags
        groups[(match["hour"], topic, partition, match["cluster"], name_epoch(match))].append((path, manifest))
    latest = _latest_batches(zone)  # ... then the newest batches, which may have appeared since
    merged = 0
    for key, files in sorted(groups.items(), key=lambda item: str(item[0])):
        newest = latest.get(key[1:])
        group = [(path, manifest) for path, manifest in files
                 if not (BATCH_FILE.match(path.name) and int(BATCH_FILE.match(path.name)["offset"]) >= (newest or 0))]
        kept = len(files) - len(group)  # files of the log's newest batch: the consumer may still roll it back
        if len(group) > 1 and len(group) + kept > MAX_SEALED_FILES:
            hour = key[0]
            name = _merge(folder, day, group, None if hour is None else int(hour))
            log.info("%s: merged %d files into %s", folder, len(group), name)
            merged += len(group)
    return merged
