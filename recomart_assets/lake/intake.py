"""The landing intake engine: every file-based source's drops, taken in exactly once.

A source is a :class:`LandingSource`: its dataset, its landing folder, its header contract, how
its partition files are named, and a *splitter* that turns a chunk of the file's CSV records into
records placed per (day[, hour]) and rejections with a reason. Everything else is here, the same
for every source, so a hardening reaches them all:

* **Scan**: regular files directly in the source's landing folder; ``.tmp``/``.part`` and hidden
  names wait, as do files modified in the last ``settle_seconds``. Symbolic links and names that
  would leave the folder are refused (a reason file; a link is removed, never followed).
* **Identity**: a file is its content sha256. The ledger (``_state/<dataset>/ledger/<sha>.json``)
  remembers every finished sha, so an identical re-drop under any name is a logged no-op (the copy
  is set aside under ``archive/<dataset>/duplicates/``).
* **Guards, per file**: whole-file problems (empty, binary, undecodable, header not the contract,
  odd name) send the file to ``quarantine/<dataset>/D/`` with a ``.reason.json``. Otherwise its
  records are split by the splitter into partition files named after the sha256 (deterministic, so
  a re-run overwrites), rejects go to ``quarantine/<dataset>/D/`` with their reason, and the
  original moves to ``archive/<dataset>/D/`` (D: the ingestion day). Every record is counted once:
  the archived original's ``record_count`` is placed + rejected.
* **Crash safety**: an in-flight marker (``_state/<dataset>/inflight/<sha>.json``) fixes the
  ingestion day and the event-time bound before any output and records the outcome before the
  original moves. Output files appear only whole, with their manifest last. After a crash the next
  pass either redoes the split (identical bytes overwrite identical bytes) or finishes the move,
  manifest and ledger entry. One intake at a time per dataset (a lock file).
* **Re-derivation**: the archive holds every original with the days it fed; the same split
  rebuilds any of those partitions byte for byte (backfills).

Plain Python: the Dagster sensors only decide (:func:`plan_runs`), their runs call
:func:`ingest_file`, and ``recomart ingest-transactions`` calls :func:`run_pass`.
"""

from __future__ import annotations

import codecs
import csv
import fcntl
import hashlib
import io
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from upath import UPath

from recomart_assets.datasets import DatasetSpec
from recomart_assets.errors import CorruptFileError, IntakeError, UnsafeName
from recomart_assets.lake.atomic import write_bytes_atomic
from recomart_assets.lake.lineage import LandingFile
from recomart_assets.lake.manifest import (
    Manifest,
    manifest_path,
    open_data_file,
    read_manifest,
    utc_now_iso,
    write_data_file,
)
from recomart_assets.lake.placing import Placements, TimeBounds, place_many
from recomart_assets.lake.records import CHUNK_BYTES, RecordChunk, iter_csv_records
from recomart_assets.lake.zone import RawZone
from recomart_assets.logs import get_logger, ingestion_run

log = get_logger("intake")

IGNORED_SUFFIXES = (".tmp", ".part")
DEFAULT_SETTLE_SECONDS = 2.0
HEADER_CHUNK_BYTES = 64 << 10
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


# ------------------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class Header:
    """A file's first record: the text as received (BOM removed) and its column names."""

    text: str
    columns: tuple[str, ...]

    def index(self, column: str) -> int:
        return self.columns.index(column)


@dataclass(frozen=True)
class HeaderContract:
    """The columns a source's files must have: ``required`` (each exactly once), ``optional``, and
    whether other columns are kept as received (``keep_extra``) or make the file unusable."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    keep_extra: bool = False

    def problem(self, dataset: str, columns: Sequence[str]) -> str | None:
        """Why a header breaks the contract (None when it does not); any column order is fine."""
        known = set(self.required) | set(self.optional)
        if len(columns) < 2:
            return "not a CSV: no comma-separated header"
        if not set(columns) & known:
            return f"not a CSV of {dataset}: the first line names none of the contract's columns"
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            return f"repeated column(s): {', '.join(repeated)}"
        missing = [c for c in self.required if c not in columns]
        if missing:
            return f"missing required column(s): {', '.join(missing)}"
        extra = [c for c in columns if c not in known]
        if extra and not self.keep_extra:
            return f"unknown extra column(s): {', '.join(extra)}"
        return None


@dataclass(frozen=True)
class Placed:
    """The records of one chunk that belong to one partition file, serialised for it."""

    data: bytes  # every record followed by "\n"
    count: int
    first_line: int  # physical line of the landing file where the first and last of them start
    last_line: int


@dataclass(frozen=True)
class Rejection:
    """A record that could not be placed."""

    line: int  # physical line of the landing file where the record starts (header = 1)
    reason: str
    record: str  # as received


PartitionKey = tuple[str, int | None]  # (day, hour) of a partition file; hour None for daily files


@dataclass
class ChunkSplit:
    """What a splitter makes of one chunk: placed records per partition file, and rejections."""

    placed: dict[PartitionKey, Placed] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)


@dataclass(frozen=True)
class EventTimeWindow:
    """The event times a file's records may have, fixed once per file (re-runs place alike)."""

    bounds: TimeBounds
    latest: datetime

    def place(self, stamps: Sequence[object], *, require_offset: bool) -> Placements:
        return place_many(stamps, self.bounds, require_offset=require_offset, latest=self.latest)


Splitter = Callable[[Header, RecordChunk, EventTimeWindow], ChunkSplit]


@dataclass(frozen=True)
class LandingSource:
    """One file-based source: its dataset, folder, contract, file names and splitter."""

    dataset: DatasetSpec
    contract: HeaderContract
    splitter: Splitter
    partition_file: Callable[[str, int | None], str]  # (sha256, hour) -> file name in the day folder
    rejects_file: Callable[[str], str]  # sha256 -> file name in the quarantine day folder

    @property
    def name(self) -> str:
        return self.dataset.name

    def landing_dir(self, zone: RawZone) -> UPath:
        folder = self.dataset.landing_folder
        return zone.landing / folder if folder else zone.landing

    def state_dir(self, zone: RawZone, kind: str) -> UPath:
        return zone.state_dir / self.name / kind


def whole_lines(chunk: RecordChunk, members: Sequence[int]) -> Placed:
    """The records ``members`` of ``chunk`` as received, one per line (CSV partition files)."""
    texts = chunk.texts
    data = ("\n".join([texts[i] for i in members]) + "\n").encode()
    return Placed(data, len(members), int(chunk.lines[members[0]]), int(chunk.lines[members[-1]]))


# --------------------------------------------------------------------------------------- names


def landing_path(source: LandingSource, zone: RawZone, name: str) -> UPath:
    """``<landing folder>/<name>``; refuses anything that is not a single path component inside it."""
    if (
        not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or os.path.isabs(name)
    ):
        raise UnsafeName(f"name escapes the landing folder: {name!r}")
    return source.landing_dir(zone) / name


def safe_name(name: str) -> str:
    """A file-system friendly rendering of a landing name, for the copies we keep of it."""
    cleaned = _UNSAFE_CHARS.sub("_", name).strip("._") or "unnamed"
    return cleaned[:120]


def name_problem(name: str) -> str | None:
    """Why a landing name is not acceptable (None when it is)."""
    if not _PLAIN_NAME.fullmatch(name):
        return f"odd file name {name!r}: only letters, digits, '.', '_' and '-' are accepted"
    if not name.lower().endswith(".csv"):
        return f"not a CSV: file name {name!r} does not end in .csv"
    return None


def is_ignored(name: str) -> bool:
    return name.startswith(".") or name.lower().endswith(IGNORED_SUFFIXES)


def _log_name(name: str) -> str:
    return name if _PLAIN_NAME.fullmatch(name) else repr(name)


# ---------------------------------------------------------------------------------------- scan


@dataclass(frozen=True)
class LandingEntry:
    name: str
    size: int
    mtime_ns: int


@dataclass
class LandingScan:
    ready: list[LandingEntry] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # still being written
    links: list[LandingEntry] = field(default_factory=list)  # symbolic links: refused, never followed


def scan_landing(source: LandingSource, zone: RawZone, settle_seconds: float = DEFAULT_SETTLE_SECONDS) -> LandingScan:
    """Sort what is in the landing folder into complete files, files still growing and links.

    Only looks (``lstat``): nothing is opened, moved or written.
    """
    scan = LandingScan()
    folder = source.landing_dir(zone)
    if not folder.exists():
        return scan
    now = time.time()
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        name = path.name
        if is_ignored(name):
            continue
        if zone.is_local and path.is_symlink():
            stat = os.lstat(path.path)
            scan.links.append(LandingEntry(name, stat.st_size, stat.st_mtime_ns))
            continue
        if not path.is_file():
            continue  # folders such as landing/clickstream/ belong to other sources
        stat = path.stat()
        mtime = float(getattr(stat, "st_mtime", 0.0) or 0.0)
        if now - mtime < settle_seconds:
            scan.waiting.append(name)
            continue
        scan.ready.append(LandingEntry(name, int(stat.st_size), int(mtime * 1e9)))
    return scan


# ------------------------------------------------------------------------------------ identity


@dataclass(frozen=True)
class FileFacts:
    """What one read of a landing file tells: identity, size and encoding."""

    sha256: str
    md5: str
    size: int
    has_nul: bool
    bad_utf8_offset: int | None
    has_text: bool

    @property
    def short_id(self) -> str:
        return self.sha256[:16]


def inspect_file(path: UPath) -> FileFacts:
    """One streaming pass: sha256, md5, size, NUL bytes, UTF-8 validity."""
    sha, md5 = hashlib.sha256(), hashlib.md5()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    has_nul = has_text = False
    bad_offset: int | None = None
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            sha.update(chunk)
            md5.update(chunk)
            has_nul = has_nul or b"\x00" in chunk
            has_text = has_text or bool(chunk.strip())
            if bad_offset is None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    bad_offset = size + exc.start
            size += len(chunk)
    if bad_offset is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            bad_offset = size
    return FileFacts(sha.hexdigest(), md5.hexdigest(), size, has_nul, bad_offset, has_text)


def header_of(chunk: RecordChunk) -> Header | str:
    """The first record of ``chunk`` as a :class:`Header`, or why it cannot be one."""
    text = chunk.texts[0].removeprefix("\ufeff")
    if chunk.plain:
        return Header(text, tuple(text.split(",")))
    fields = chunk.fields[0]
    if isinstance(fields, str):
        return f"not a CSV: unreadable header ({fields})"
    return Header(text, tuple([fields[0].removeprefix("\ufeff"), *fields[1:]]))


def read_header(path: UPath) -> Header | str:
    """The file's first record as a :class:`Header`, or why it cannot be one."""
    with path.open("rb") as stream:
        first = next(iter_csv_records(stream, HEADER_CHUNK_BYTES), None)
    return "empty file" if first is None else header_of(first)


def content_problem(source: LandingSource, path: UPath, facts: FileFacts) -> str | None:
    """Why the whole file cannot be ingested (None when it can): checked before any split."""
    if not facts.has_text:
        return "empty file"
    if facts.has_nul:
        return "not a CSV: binary content (NUL bytes)"
    if facts.bad_utf8_offset is not None:
        return f"undecodable bytes: not UTF-8 (first bad byte at offset {facts.bad_utf8_offset})"
    header = read_header(path)
    if isinstance(header, str):
        return header
    return source.contract.problem(source.name, header.columns)


# ------------------------------------------------------------------------------ state on disk


def _read_json(path: UPath) -> dict[str, Any] | None:
    return json.loads(path.read_bytes()) if path.exists() else None


def _write_json(path: UPath, data: Mapping[str, Any]) -> None:
    write_bytes_atomic(path, json.dumps(data, indent=2, sort_keys=True).encode() + b"\n")


def ledger_entry(source: LandingSource, zone: RawZone, sha256: str) -> dict[str, Any] | None:
    """What happened to the content ``sha256`` (None if it was never finished)."""
    return _read_json(source.state_dir(zone, "ledger") / f"{sha256}.json")


@contextmanager
def intake_lock(source: LandingSource, zone: RawZone) -> Iterator[None]:
    """One intake at a time per dataset and raw zone (CLI, runs): serialises work on the same file."""
    if not zone.is_local:
        yield
        return
    folder = zone.state_dir / source.name
    folder.mkdir(parents=True, exist_ok=True)
    with open(os.path.join(folder.path, "intake.lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ------------------------------------------------------------------------------------ outcome


@dataclass
class FileOutcome:
    """What one landing file became."""

    name: str
    status: str  # ingested | quarantined | duplicate | refused | missing | failed
    sha256: str | None = None
    partitions: dict[str, int] = field(default_factory=dict)  # day -> records placed
    rejected_rows: int = 0
    reason: str | None = None
    stored_as: str | None = None  # path relative to the raw zone
    outputs: list[str] = field(default_factory=list)  # partition and reject files, relative to the raw zone

    @property
    def records(self) -> int:
        return sum(self.partitions.values())


def _relative(zone: RawZone, path: UPath) -> str:
    return path.path[len(zone.root.path.rstrip("/")) + 1 :]


def _write_reason(source: LandingSource, target: UPath, details: Mapping[str, Any]) -> UPath:
    reason_file = target.with_name(target.name + ".reason.json")
    write_data_file(
        reason_file, json.dumps(dict(details), indent=2, sort_keys=True).encode() + b"\n", dataset=source.name,
        partition=details.get("ingestion_day"), record_count=1, fmt="json", source={"landing_file": details["name"]},
    )
    return reason_file


def refuse(source: LandingSource, zone: RawZone, name: str, reason: str) -> FileOutcome:
    """Refuse a link or an escaping name: write a reason file, remove a link (never its target)."""
    today = datetime.now(UTC).date().isoformat()
    details: dict[str, Any] = {"name": name, "reason": reason, "ingestion_day": today, "refused_at": utc_now_iso()}
    target = zone.quarantine_dir(source.name, today) / f"refused_{safe_name(name)}_{time.time_ns()}"
    try:
        path = landing_path(source, zone, name)
    except UnsafeName:
        path = None
    if path is not None and zone.is_local and path.is_symlink():
        details["link_target"] = os.readlink(path.path)
        path.unlink()
    reason_file = _write_reason(source, target, details)
    log.warning("refused %s landing entry %r: %s", source.name, name, reason)
    return FileOutcome(name, "refused", reason=reason, stored_as=_relative(zone, reason_file))


# ------------------------------------------------------------------------------------- ingest


@dataclass
class _Plan:
    """The in-flight marker: written before any output, completed before the original moves."""

    sha256: str
    name: str
    ingestion_day: str
    placed_until: str = ""  # the latest event time placed (ingestion time + clock skew), ISO 8601
    stage: str = "splitting"  # splitting | moving
    target: str | None = None  # destination of the original, relative to the raw zone
    fmt: str = "csv"
    record_count: int = 0
    reason: str | None = None
    partitions: dict[str, int] = field(default_factory=dict)
    rejected_rows: int = 0
    md5: str = ""
    size: int = 0
    outputs: list[str] = field(default_factory=list)  # files the split writes, relative to the raw zone

    @classmethod
    def from_json(cls, raw: bytes) -> _Plan:
        data = json.loads(raw)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def path(self, source: LandingSource, zone: RawZone) -> UPath:
        return source.state_dir(zone, "inflight") / f"{self.sha256}.json"

    def save(self, source: LandingSource, zone: RawZone) -> None:
        _write_json(self.path(source, zone), asdict(self))

    def window(self, bounds: TimeBounds) -> EventTimeWindow:
        """The event times this file's records were (or are) placed within."""
        if self.placed_until:
            return EventTimeWindow(bounds, datetime.fromisoformat(self.placed_until))
        # Intakes from before the bound was recorded placed up to the end of the day after ingestion.
        day_after_next = date.fromisoformat(self.ingestion_day) + timedelta(days=2)
        end = datetime(day_after_next.year, day_after_next.month, day_after_next.day, tzinfo=UTC)
        return EventTimeWindow(bounds, end - timedelta(microseconds=1))

    def lineage(self, **extra: Any) -> LandingFile:
        return LandingFile(landing_file=self.name, sha256=self.sha256, ingestion_day=self.ingestion_day, **extra)


def _begin(source: LandingSource, zone: RawZone, name: str, facts: FileFacts, bounds: TimeBounds) -> _Plan:
    marker = source.state_dir(zone, "inflight") / f"{facts.sha256}.json"
    previous = _Plan.from_json(marker.read_bytes()) if marker.exists() else None
    if previous:
        log.info("resuming %s (sha256 %s) from an interrupted intake of %s", _log_name(name), facts.short_id,
                 previous.ingestion_day)
        day, until = previous.ingestion_day, previous.placed_until
    else:
        now = bounds.now()
        day, until = now.date().isoformat(), (now + bounds.clock_skew).isoformat()
    plan = _Plan(facts.sha256, name, day, placed_until=until, md5=facts.md5, size=facts.size)
    plan.save(source, zone)
    return plan


def _rejects_bytes(source: LandingSource, plan: _Plan, rows: list[Rejection]) -> bytes:
    """Rejections in the dataset's format: CSV ``line,reason,record`` or one JSON object per line."""
    if source.dataset.format == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows((row.line, row.reason, row.record) for row in rows)
        return buffer.getvalue().encode()
    return b"".join(
        orjson.dumps({"line": row.line, "reason": row.reason, "record": row.record, "landing_file": plan.name,
                      "sha256": plan.sha256}) + b"\n"
        for row in rows
    )


def _records(path: UPath) -> Iterator[tuple[Header, RecordChunk]]:
    """The file's header and its record chunks after the header."""
    header: Header | None = None
    with path.open("rb") as stream:
        for chunk in iter_csv_records(stream, CHUNK_BYTES):
            if header is None:
                first = header_of(chunk)
                if isinstance(first, str):
                    raise IntakeError(f"{path.name}: {first}")  # content_problem() rules this out first
                header = first
                chunk = RecordChunk(chunk.texts[1:], chunk.lines[1:], chunk.plain,
                                    chunk.fields[1:] if chunk.fields is not None else None)
            if len(chunk):
                yield header, chunk


def split_chunks(path: UPath, source: LandingSource, window: EventTimeWindow) -> Iterator[tuple[Header, ChunkSplit]]:
    """The source's split of the file, chunk by chunk (what :func:`write_partitions` writes)."""
    for header, chunk in _records(path):
        yield header, source.splitter(header, chunk, window)


def write_partitions(
    source: LandingSource, zone: RawZone, path: UPath, plan: _Plan, bounds: TimeBounds,
    only_days: frozenset[str] | None = None,
) -> tuple[dict[str, int], int]:
    """Split ``path`` into partition files (and a rejects file); all appear only at the end.

    Returns (records per day, rejected records). With ``only_days`` only those partitions are
    written and rejects are skipped (backfill). The files to be written are recorded in the plan
    before the first of them appears, so a failure can take them all back.
    """
    counts: dict[str, int] = {}
    rejected = 0
    csv_files = source.dataset.format == "csv"
    with ExitStack() as stack:
        outputs: dict[PartitionKey | None, Any] = {}
        for header, split in split_chunks(path, source, plan.window(bounds)):
            for key, placed in split.placed.items():
                day, hour = key
                if only_days is not None and day not in only_days:
                    continue
                out = outputs.get(key)
                if out is None:
                    lineage = plan.lineage(lines=[placed.first_line, placed.last_line])
                    out = outputs[key] = stack.enter_context(open_data_file(
                        zone.partition_dir(source.name, day) / source.partition_file(plan.sha256, hour),
                        dataset=source.name, partition=day, fmt=source.dataset.format, source=lineage,
                        columns=header.columns,
                    ))
                    if csv_files:
                        out.write((header.text + "\n").encode())
                out.write(placed.data, records=placed.count)
                out.source["lines"][1] = placed.last_line
                counts[day] = counts.get(day, 0) + placed.count
            if split.rejected and only_days is None:
                rejects = outputs.get(None)
                if rejects is None:
                    rejects = outputs[None] = stack.enter_context(open_data_file(
                        zone.quarantine_dir(source.name, plan.ingestion_day) / source.rejects_file(plan.sha256),
                        dataset=source.name, partition=plan.ingestion_day, fmt=source.dataset.format,
                        source=plan.lineage(), columns=("line", "reason", "record"),
                    ))
                    if csv_files:
                        rejects.write(b"line,reason,record\n")
                rejects.write(_rejects_bytes(source, plan, split.rejected), records=len(split.rejected))
                rejected += len(split.rejected)
        if only_days is None:
            plan.outputs = sorted(
                _relative(zone, zone.partition_dir(source.name, key[0]) / source.partition_file(plan.sha256, key[1]))
                if key else _relative(zone, zone.quarantine_dir(source.name, plan.ingestion_day)
                                      / source.rejects_file(plan.sha256))
                for key in outputs
            )
            plan.save(source, zone)
    return counts, rejected


def _remove_outputs(zone: RawZone, outputs: Sequence[str]) -> None:
    """Take back files a split published (manifest first: the file turns invisible at once)."""
    for relative in outputs:
        path = zone.root / relative
        for victim in (manifest_path(path), path):
            if victim.exists():
                victim.unlink()


def _write_moved_manifest(
    source: LandingSource, target: UPath, partition: str, record_count: int, fmt: str, size: int, md5: str,
    sha256: str, lineage: LandingFile,
) -> None:
    """Manifest of a landing file moved as received; checksums come from the pass that identified it."""
    manifest = Manifest(
        file=target.name, dataset=source.name, partition=partition, record_count=record_count, bytes=size, md5=md5,
        sha256=sha256, format=fmt, created_at=utc_now_iso(), source=lineage.to_source(), manifest_version=2,
    )
    write_bytes_atomic(manifest_path(target), manifest.to_json())


def _finish(source: LandingSource, zone: RawZone, plan: _Plan) -> None:
    """Move the original to its target, write its manifest (and reason), record it in the ledger.

    Idempotent: after a crash anywhere in here, calling it again completes the same steps.
    """
    landing = landing_path(source, zone, plan.name)
    target = zone.root / plan.target
    if not target.exists():  # a landing file of that name after the move is a new drop: left alone
        if not landing.exists():
            raise FileNotFoundError(f"{plan.name} vanished from the landing folder before it was archived")
        target.parent.mkdir(parents=True, exist_ok=True)
        landing.rename(target)
    lineage = plan.lineage(records_by_partition=plan.partitions, rejected_rows=plan.rejected_rows,
                           placed_until=plan.placed_until or None, outputs=plan.outputs or None,
                           reason=plan.reason)
    if plan.reason:
        _write_reason(source, target, {"name": plan.name, "reason": plan.reason, "ingestion_day": plan.ingestion_day,
                                       "sha256": plan.sha256})
    if read_manifest(target) is None:
        _write_moved_manifest(source, target, plan.ingestion_day, plan.record_count, plan.fmt, plan.size, plan.md5,
                              plan.sha256, lineage)
    status = "quarantined" if plan.reason else "ingested"
    _write_json(source.state_dir(zone, "ledger") / f"{plan.sha256}.json",
                {**asdict(plan), "status": status, "finished_at": utc_now_iso()})
    plan.path(source, zone).unlink()


def _outcome_from_ledger(name: str, entry: Mapping[str, Any], status: str | None = None) -> FileOutcome:
    return FileOutcome(
        name, status or entry["status"], entry["sha256"], dict(entry["partitions"]), entry["rejected_rows"],
        entry.get("reason"), entry["target"], list(entry.get("outputs", [])),
    )


def _set_aside_duplicate(source: LandingSource, zone: RawZone, path: UPath, facts: FileFacts,
                         entry: Mapping[str, Any]) -> FileOutcome:
    today = datetime.now(UTC).date().isoformat()
    name = f"{facts.short_id}_{time.time_ns()}_{safe_name(path.name)}"
    target = zone.archive_dir(source.name) / "duplicates" / today / name
    target.parent.mkdir(parents=True, exist_ok=True)
    path.rename(target)
    _write_moved_manifest(source, target, today, entry["record_count"], entry["fmt"], facts.size, facts.md5,
                          facts.sha256, LandingFile(landing_file=path.name, sha256=facts.sha256,
                                                    duplicate_of=entry["target"]))
    log.info("duplicate %s landing file %s: content %s was already %s as %s; set aside, nothing ingested",
             source.name, _log_name(path.name), facts.short_id, entry["status"], entry["target"])
    outcome = _outcome_from_ledger(path.name, entry, status="duplicate")
    outcome.stored_as = _relative(zone, target)
    return outcome


def _ingest(source: LandingSource, zone: RawZone, name: str, path: UPath, bounds: TimeBounds) -> FileOutcome:
    stat_before = path.stat()
    facts = inspect_file(path)
    entry = ledger_entry(source, zone, facts.sha256)
    if entry is not None:
        return _set_aside_duplicate(source, zone, path, facts, entry)
    plan = _begin(source, zone, name, facts, bounds)
    problem = name_problem(name) or content_problem(source, path, facts)
    if problem:
        plan.reason, plan.fmt, plan.record_count = problem, "bytes", 1
        folder = zone.quarantine_dir(source.name, plan.ingestion_day)
        log.warning("quarantining %s landing file %r (sha256 %s): %s", source.name, name, facts.short_id, problem)
    else:
        try:
            plan.partitions, plan.rejected_rows = write_partitions(source, zone, path, plan, bounds)
            stat_after = path.stat()
            if stat_after.st_size != stat_before.st_size or stat_after.st_mtime != stat_before.st_mtime:
                raise IntakeError(f"{name} changed while it was ingested; it will be retried")
        except Exception:  # a process that dies runs nothing: its next pass redoes the split
            _remove_outputs(zone, plan.outputs)  # nothing of a file that failed stays published
            raise
        plan.record_count = sum(plan.partitions.values()) + plan.rejected_rows
        folder = zone.archive_dir(source.name) / plan.ingestion_day
    plan.target = _relative(zone, folder / f"{facts.short_id}_{safe_name(name)}")
    plan.stage = "moving"
    plan.save(source, zone)
    _finish(source, zone, plan)
    return _outcome_from_ledger(name, ledger_entry(source, zone, facts.sha256))


def recover(source: LandingSource, zone: RawZone) -> list[str]:
    """Finish intakes that crashed after their split (the move, manifest or ledger step)."""
    folder = source.state_dir(zone, "inflight")
    finished: list[str] = []
    if not folder.exists():
        return finished
    for marker in sorted(folder.glob("*.json"), key=lambda p: p.name):
        plan = _Plan.from_json(marker.read_bytes())
        if plan.stage != "moving":
            continue  # crashed mid-split: the file is still in the landing folder and will be split again
        log.info("completing the interrupted intake of %s (sha256 %s)", _log_name(plan.name), plan.sha256[:16])
        try:
            _finish(source, zone, plan)
        except OSError:
            log.exception("cannot complete the intake of %r; its marker stays in %s", plan.name, folder)
            continue
        finished.append(plan.name)
    return finished


def ingest_file(source: LandingSource, zone: RawZone, name: str, bounds: TimeBounds | None = None) -> FileOutcome:
    """Ingest one landing file by name (the sensors' runs and the one-shot passes all come here)."""
    bounds = bounds or TimeBounds()
    try:
        path = landing_path(source, zone, name)
    except UnsafeName as exc:
        return refuse(source, zone, name, str(exc))
    with intake_lock(source, zone):
        recover(source, zone)
        if zone.is_local and path.is_symlink():
            return refuse(source, zone, name, "symbolic link: not followed")
        if not path.is_file():
            return FileOutcome(name, "missing", reason="no such file in the landing folder")
        with ingestion_run(source.name, log, file=_log_name(name)) as record:
            outcome = _ingest(source, zone, name, path, bounds)
            record.counts.update(records=outcome.records, rejected=outcome.rejected_rows,
                                 partitions=len(outcome.partitions))
            record.files.append(outcome.stored_as or name)
        return outcome


@dataclass
class PassResult:
    outcomes: list[FileOutcome] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def partitions(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for outcome in self.outcomes:
            if outcome.status == "ingested":
                for day, n in outcome.partitions.items():
                    totals[day] = totals.get(day, 0) + n
        return dict(sorted(totals.items()))


def guarded(name: str, action: Callable[..., FileOutcome], *args: Any) -> FileOutcome:
    """Run ``action`` for one landing entry; an error is logged and returned, never raised."""
    try:
        return action(*args)
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the pass
        log.exception("intake of %r failed; it stays in the landing folder", name)
        return FileOutcome(name, "failed", reason=f"{type(exc).__name__}: {exc}")


def run_pass(source: LandingSource, zone: RawZone, settle_seconds: float = DEFAULT_SETTLE_SECONDS,
             bounds: TimeBounds | None = None) -> PassResult:
    """One pass over the landing folder: every complete file ingested, quarantined, refused or set aside.

    A problem with one file is logged and recorded; it never stops the others.
    """
    with intake_lock(source, zone):
        recover(source, zone)
    scan = scan_landing(source, zone, settle_seconds)
    result = PassResult(waiting=scan.waiting)
    for link in scan.links:
        result.outcomes.append(guarded(link.name, refuse, source, zone, link.name, "symbolic link: not followed"))
    for entry in scan.ready:
        result.outcomes.append(guarded(entry.name, ingest_file, source, zone, entry.name, bounds))
    return result


# ------------------------------------------------------------------------------- the sensors


@dataclass(frozen=True)
class RunPlan:
    """A run a sensor should request: which landing entry, under which run key."""

    name: str
    run_key: str
    sha256: str = ""  # the content the sensor saw ("" for a link, which is never read)


def plan_runs(
    source: LandingSource, zone: RawZone, known: Mapping[str, Mapping[str, Any]],
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
) -> tuple[list[RunPlan], dict[str, dict[str, Any]]]:
    """A sensor's decisions: the runs to request, and the new cursor state. Changes nothing on disk.

    ``known`` maps entries already requested to the size/mtime they had then: those are not hashed
    or requested again while unchanged. A new content gets a run keyed by its sha256 (Dagster never
    launches a run key twice); a content already in the ledger gets a run that sets the copy aside;
    a content whose run is pending under another name waits for that run; a link gets a run that
    refuses it.
    """
    scan = scan_landing(source, zone, settle_seconds)
    still_known: dict[str, dict[str, Any]] = {}
    pending: set[str] = set()
    entries = [*scan.links, *scan.ready]
    for entry in entries:
        seen = known.get(entry.name)
        if seen and seen["size"] == entry.size and seen["mtime_ns"] == entry.mtime_ns:
            still_known[entry.name] = dict(seen)
            pending.add(seen["sha256"])
    plans: list[RunPlan] = []
    for link in scan.links:
        if link.name not in still_known:
            plans.append(RunPlan(link.name, f"refuse-link-{link.mtime_ns}-{_name_key(link.name)}"))
            still_known[link.name] = {"size": link.size, "mtime_ns": link.mtime_ns, "sha256": ""}
    for entry in scan.ready:
        if entry.name in still_known:
            continue
        try:
            sha256 = inspect_file(landing_path(source, zone, entry.name)).sha256
        except OSError:  # gone meanwhile (another pass took it) or unreadable: next tick decides
            log.warning("cannot read %s landing file %r yet", source.name, entry.name, exc_info=True)
            continue
        if ledger_entry(source, zone, sha256) is not None:
            run_key = f"duplicate-{sha256}-{entry.mtime_ns}-{_name_key(entry.name)}"
        elif sha256 in pending:
            continue
        else:
            run_key = sha256
        pending.add(sha256)
        plans.append(RunPlan(entry.name, run_key, sha256))
        still_known[entry.name] = {"size": entry.size, "mtime_ns": entry.mtime_ns, "sha256": sha256}
    return plans, still_known


def _name_key(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]


# ---------------------------------------------------------------------------------- backfill


def archived_sources(source: LandingSource, zone: RawZone) -> Iterator[tuple[UPath, Manifest]]:
    """Archived originals (not duplicates) with their manifests."""
    folder = zone.archive_dir(source.name)
    if not folder.exists():
        return
    for day_dir in sorted(folder.iterdir(), key=lambda p: p.name):
        if day_dir.name == "duplicates" or not day_dir.is_dir():
            continue
        for path in sorted(day_dir.iterdir(), key=lambda p: p.name):
            manifest = read_manifest(path) if not path.name.endswith(".manifest") else None
            if manifest is not None and manifest.format == "csv":
                yield path, manifest


def rederive_partitions(source: LandingSource, zone: RawZone, days: frozenset[str],
                        bounds: TimeBounds | None = None) -> dict[str, int]:
    """Rebuild ``days`` from the archive, byte-identical to the original intake; records per day."""
    bounds = bounds or TimeBounds()
    totals: dict[str, int] = {}
    for path, manifest in archived_sources(source, zone):
        lineage = manifest.source
        expected = {d: n for d, n in lineage.get("records_by_partition", {}).items() if d in days}
        if not expected:
            continue
        facts = inspect_file(path)
        if facts.md5 != manifest.md5 or facts.size != manifest.bytes:
            raise CorruptFileError(f"{path}: archived file does not match its manifest")
        plan = _Plan(manifest.sha256, lineage["landing_file"], lineage["ingestion_day"],
                     placed_until=lineage.get("placed_until") or "")
        counts, _ = write_partitions(source, zone, path, plan, bounds, only_days=frozenset(expected))
        if counts != expected:
            raise IntakeError(f"{path}: re-derived {counts}, the original intake placed {expected}")
        for day, n in counts.items():
            totals[day] = totals.get(day, 0) + n
    return totals
