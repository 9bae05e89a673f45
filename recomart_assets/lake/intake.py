"""The landing intake engine: every file-based source's drops, taken in exactly once.

A source is a :class:`LandingSource`: its dataset, its landing folder, its header contract, how
its partition files are named, and a *splitter* that turns a chunk of the file's CSV records into
records placed per (day[, hour]) and rejections with a reason. Everything else is here, the same
for every source, so a hardening reaches them all:

* **Scan**: regular files directly in the source's landing folder, under any name the filesystem
  allows (spaces, Unicode); ``.tmp``/``.part`` and hidden names wait, as do files modified in the
  last ``settle_seconds``. Symbolic links, names that would leave the folder and names with control
  characters are refused (a reason file; a link is removed, never followed; a file is moved to
  quarantine, since its content is input too).
* **Identity and snapshot**: a file is its content sha256, computed while its bytes are copied
  into a private snapshot (``_state/<dataset>/staging/<sha>``). Everything after that (guards,
  split, version comparison, archive) reads only the snapshot, so no row is published from bytes
  the pass did not hash, and the archived copy *is* the snapshot. The landing entry is let go last:
  claimed by an atomic rename, deleted if it still holds the hashed bytes, put back otherwise (a
  file replaced or grown meanwhile is the next version, for the next pass). The ledger
  (``_state/<dataset>/ledger/<sha>.json``) remembers every finished sha, so an identical re-drop
  under any name is a logged no-op (the copy is set aside under ``archive/<dataset>/duplicates/``).
* **Guards, per file**: whole-file problems (empty, binary, undecodable, header not the contract,
  an error of the split itself) send the file to ``quarantine/<dataset>/D/`` with a
  ``.reason.json``, taking back anything it had published; every other file proceeds. Otherwise its
  records are split by the splitter into partition files named after the sha256 (deterministic, so
  a re-run overwrites), rejects go to ``quarantine/<dataset>/D/`` with their reason, and the
  original moves to ``archive/<dataset>/D/`` (D: the ingestion day). Every record is counted once:
  the archived original's ``record_count`` is placed + rejected.
* **Crash safety**: an in-flight marker (``_state/<dataset>/inflight/<sha>.json``) fixes the
  ingestion day and the event-time bound before any output and records the outcome before the
  snapshot moves. Output files appear only whole, with their manifest last. After a crash the next
  pass redoes the split from the snapshot (identical bytes overwrite identical bytes) or finishes
  the move, manifest, ledger entry and release; each step is named in :mod:`~recomart_assets.lake.steps`
  (``intake.*``, see ``docs/protocol.md``). One intake at a time per dataset (a lock file).
* **Versions**: a file dropped again under the same name with new content is a new version; its
  lineage names the previous version (``previous_version``) and how many of the previous
  version's record ids (the source's key column) it repeats. Both versions' rows are kept, unless
  the producer names the file ``<name>.replace``: then the new version's rows replace the previous
  version's in every partition the new version touches (crash-safe, all of them or none), and the
  previous version stays in the archive.
* **Re-derivation**: the archive holds every original with the days it fed; the same split
  rebuilds any of those partitions byte for byte (backfills), leaving out what a later version
  replaced.

Plain Python: the Dagster sensors only decide (:func:`plan_runs`), their runs call
:func:`ingest_file`, and ``recomart ingest-transactions`` calls :func:`run_pass`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, BinaryIO

import orjson
import pyarrow as pa
import pyarrow.compute as pc
from upath import UPath

from recomart_assets.datasets import DatasetSpec
from recomart_assets.errors import CorruptFileError, IntakeError, UnsafeName
from recomart_assets.lake import steps
from recomart_assets.lake.atomic import (
    atomic_writer,
    move_into_place,
    put_back,
    write_bytes_atomic,
)
from recomart_assets.lake.lineage import LandingFile
from recomart_assets.lake.locks import exclusive_writer
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
from recomart_assets.text import excerpt

log = get_logger("intake")

steps.declare("intake.identified", "intake.split-published", "intake.decided", "intake.archived",
              "intake.ledger-written", "intake.landing-removed")

IGNORED_SUFFIXES = (".tmp", ".part")
REPLACE_SUFFIX = ".replace"  # "<name>.replace": this file corrects the earlier "<name>"
DEFAULT_SETTLE_SECONDS = 2.0
WAIT_MARGIN_SECONDS = 10.0  # a one-shot pass waits up to the settle window plus this for a settling file
HEADER_CHUNK_BYTES = 64 << 10
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_UNSAFE_CHARS = re.compile(r"[^\w.-]+")  # \w is Unicode-aware: "München" stays as it is
_SAFE_NAME_BYTES = 150  # archive names are "<sha16>_<safe name>": well below the usual 255-byte limit
# Unicode categories a file name must not contain: control characters, lone surrogates (bytes that
# are not UTF-8), line and paragraph separators (they forge log lines and break tools).
_REFUSED_IN_NAMES = {"Cc": "control character", "Cs": "byte that is not UTF-8", "Zl": "line separator",
                     "Zp": "paragraph separator"}


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
        repeated = sorted(c for c, n in Counter(columns).items() if n > 1)
        if repeated:
            return excerpt(f"repeated column(s): {', '.join(repeated)}")
        missing = [c for c in self.required if c not in columns]
        if missing:
            return f"missing required column(s): {', '.join(missing)}"
        extra = [c for c in columns if c not in known]
        if extra and not self.keep_extra:
            return excerpt(f"unknown extra column(s): {', '.join(extra)}")
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
    keys: pa.Array | None = None  # the key column's values of the placed records (None: no key column)


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
    key_column: str | None = None  # the record id a new version of a file is compared by

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
    """A file-system friendly rendering of a landing name (letters of any script kept), for the
    copies we keep of it; the real name is in the manifest."""
    cleaned = _UNSAFE_CHARS.sub("_", name.encode("utf-8", "replace").decode()).strip("._") or "unnamed"
    return cleaned.encode()[:_SAFE_NAME_BYTES].decode("utf-8", "ignore")


def name_problem(name: str) -> str | None:
    """Why a landing name is refused (None when it is accepted): any name the filesystem allows is,
    except one with control characters, bytes that are not UTF-8 or line separators."""
    found = sorted({f"{_REFUSED_IN_NAMES[unicodedata.category(c)]} U+{ord(c):04X}" for c in name
                    if unicodedata.category(c) in _REFUSED_IN_NAMES})
    if found:
        return f"file name {_printable(name)} contains {', '.join(found)}"
    return None


def storable(name: str) -> str:
    """``name`` as text that can be written anywhere (bytes that are not UTF-8 as ``\\xNN``)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _printable(name: str) -> str:
    return repr(storable(name))


def version_name(name: str) -> tuple[str, bool]:
    """(the name whose versions ``name`` belongs to, whether it replaces the previous version)."""
    if name.endswith(REPLACE_SUFFIX) and len(name) > len(REPLACE_SUFFIX):
        return name[: -len(REPLACE_SUFFIX)], True
    return name, False


def is_ignored(name: str) -> bool:
    return name.startswith(".") or name.lower().endswith(IGNORED_SUFFIXES)


def _log_name(name: str) -> str:
    return name if _PLAIN_NAME.fullmatch(name) else _printable(name)


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
    refused: list[LandingEntry] = field(default_factory=list)  # complete files whose name is refused
    settles_at: float | None = None  # when the first waiting file will have settled (epoch seconds)


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
            settles = mtime + settle_seconds
            scan.settles_at = settles if scan.settles_at is None else min(scan.settles_at, settles)
            continue
        entry = LandingEntry(name, int(stat.st_size), int(mtime * 1e9))
        (scan.refused if name_problem(name) else scan.ready).append(entry)
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
    with path.open("rb") as stream:
        return inspect_stream(stream)


def inspect_stream(stream: BinaryIO, copy_to: BinaryIO | None = None) -> FileFacts:
    """:func:`inspect_file` of an open stream; with ``copy_to`` every byte read is also written there,
    so the copy is exactly the bytes the facts describe."""
    sha, md5 = hashlib.sha256(), hashlib.md5()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    has_nul = has_text = False
    bad_offset: int | None = None
    while chunk := stream.read(CHUNK_BYTES):
        if copy_to is not None:
            copy_to.write(chunk)
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


# ------------------------------------------------------------------------- snapshot and release
#
# The pass never reads the landing file twice: it copies it once into a private snapshot while
# hashing it (so the snapshot is exactly the bytes the sha256 names), and from then on splits,
# compares and archives only that snapshot. The landing entry is let go last, by *claiming* it (an
# atomic rename into ``_state/<dataset>/claims/<sha256>/<name>``, so a file renamed over the landing
# name afterwards is not touched) and then deleting the claim if its bytes are still that sha256,
# or putting it back into the landing folder (a new version for the next pass) if they are not.


def _staging(source: LandingSource, zone: RawZone) -> UPath:
    return source.state_dir(zone, "staging")


def snapshot_path(source: LandingSource, zone: RawZone, sha256: str) -> UPath:
    """Where the pass keeps its private copy of the content ``sha256`` until it is archived."""
    return _staging(source, zone) / sha256


def take_snapshot(source: LandingSource, zone: RawZone, path: UPath) -> tuple[UPath, FileFacts]:
    """Copy the landing file into the staging area while hashing it; the copy is named by its sha256."""
    incoming = _staging(source, zone) / "incoming"
    with path.open("rb") as stream, atomic_writer(incoming) as writer:
        facts = inspect_stream(stream, copy_to=writer)
    snapshot = snapshot_path(source, zone, facts.sha256)
    move_into_place(incoming, snapshot)
    return snapshot, facts


def _claims(source: LandingSource, zone: RawZone) -> UPath:
    return source.state_dir(zone, "claims")


def release_landing(source: LandingSource, zone: RawZone, name: str, sha256: str) -> None:
    """Let go of the landing entry ``name`` once the content ``sha256`` is archived (or quarantined):
    removed if it still holds exactly those bytes, otherwise left in the landing folder."""
    landing = landing_path(source, zone, name)
    claim = _claims(source, zone) / sha256 / name
    if not claim.exists():
        if not landing.exists():
            return  # released before a crash, or taken away by its producer
        move_into_place(landing, claim)
    settle_claim(source, zone, claim)


def settle_claim(source: LandingSource, zone: RawZone, claim: UPath) -> None:
    """Delete a claimed landing entry whose bytes are the content its folder names; put any other
    back under its landing name (if that name is free; else it waits for a later pass)."""
    size = claim.stat().st_size
    with claim.open("rb") as stream:
        same = inspect_stream(stream).sha256 == claim.parent.name
    if same:
        claim.unlink()
    else:
        landing = landing_path(source, zone, claim.name)
        if not put_back(claim, landing):
            log.warning("%s changed while it was ingested and its name is taken again; the changed copy waits "
                        "in %s for a later pass", _log_name(claim.name), claim.parent)
            return
        log.warning("%s changed while it was ingested (%d bytes now): left in the landing folder as a new "
                    "version for the next pass", _log_name(claim.name), size)
    if not any(claim.parent.iterdir()):
        claim.parent.rmdir()


def _recover_staging(source: LandingSource, zone: RawZone) -> None:
    """Settle every claim, and drop snapshots no in-flight marker needs (a pass that died before its
    marker: the landing file is still there and is identified again)."""
    claims = _claims(source, zone)
    for folder in sorted(claims.iterdir(), key=lambda p: p.name) if claims.exists() else ():
        for claim in list(folder.iterdir()):
            settle_claim(source, zone, claim)
    staging = _staging(source, zone)
    markers = source.state_dir(zone, "inflight")
    for snapshot in list(staging.iterdir()) if staging.exists() else ():
        if not (markers / f"{snapshot.name}.json").exists():
            snapshot.unlink()


def header_of(chunk: RecordChunk) -> Header | str:
    """The first record of ``chunk`` as a :class:`Header`, or why it cannot be one."""
    text = chunk.texts[0].removeprefix("\ufeff")
    if chunk.plain:
        return Header(text, tuple(text.split(",")))
    fields = chunk.fields[0]
    if isinstance(fields, str):
        return excerpt(f"not a CSV: unreadable header ({fields})")
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
    """One intake at a time per dataset and raw zone (CLI, runs, backfills): serialises work on the
    same file. Taking it removes the temporary files a killed intake of this source left in the
    folders it writes (:func:`~recomart_assets.lake.locks.exclusive_writer`)."""
    spec = source.dataset
    folders = (zone.root / spec.folder, zone.root / spec.quarantine_folder, zone.archive_dir(source.name),
               zone.state_dir / source.name)
    with exclusive_writer(zone, f"intake:{source.name}", folders):
        yield


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
    previous_version: str | None = None  # sha256 of the earlier file under the same name
    repeated_ids: int | None = None  # distinct key values the previous version had too
    replaced_partitions: list[str] = field(default_factory=list)  # days whose previous-version rows it replaced

    @property
    def records(self) -> int:
        return sum(self.partitions.values())

    def version_note(self, key_column: str | None) -> str | None:
        """One sentence on how this file relates to the previous one under its name (None if first)."""
        if not self.previous_version:
            return None
        note = f"{_printable(self.name)} is a new version (previous {self.previous_version[:16]})"
        if self.replaced_partitions:
            return f"{note}: replaced its rows in {', '.join(self.replaced_partitions)}"
        if self.repeated_ids:
            again = _printable(version_name(self.name)[0] + REPLACE_SUFFIX)
            return (f"{note}: {self.repeated_ids} {key_column or 'id'} value(s) repeat it, both kept "
                    f"(drop the file as {again} to replace the previous rows instead)")
        return note


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
    """Refuse a link, an escaping name or a name with control characters: write a reason file,
    remove a link (never its target), move a regular file to quarantine as received.

    Refusals are not in the ledger: the same content dropped again under an acceptable name is
    ingested.
    """
    today = datetime.now(UTC).date().isoformat()
    reason = excerpt(reason)
    details: dict[str, Any] = {"name": storable(name), "reason": reason, "ingestion_day": today,
                               "refused_at": utc_now_iso()}
    target = zone.quarantine_dir(source.name, today) / f"refused_{safe_name(name)}_{time.time_ns()}"
    try:
        path = landing_path(source, zone, name)
    except UnsafeName:
        path = None
    if path is not None and zone.is_local and path.is_symlink():
        details["link_target"] = os.readlink(path.path)
        path.unlink()
    elif path is not None and path.is_file():
        snapshot, facts = take_snapshot(source, zone, path)
        move_into_place(snapshot, target)
        details["sha256"] = facts.sha256
        _write_moved_manifest(source, target, today, 1, "bytes", facts.size, facts.md5, facts.sha256,
                              LandingFile(landing_file=details["name"], sha256=facts.sha256, reason=reason))
        release_landing(source, zone, name, facts.sha256)
    reason_file = _write_reason(source, target, details)
    log.warning("refused %s landing entry %s: %s", source.name, _printable(name), reason)
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
    error: bool = False  # quarantined by an error of the split, not by its content: a re-drop is retried
    partitions: dict[str, int] = field(default_factory=dict)
    rejected_rows: int = 0
    md5: str = ""
    size: int = 0
    outputs: list[str] = field(default_factory=list)  # files the split writes, relative to the raw zone
    previous_version: str | None = None  # sha256 of the latest ingested version under the same name
    replaces: bool = False  # named "<name>.replace": its rows replace the previous version's
    repeated_ids: int | None = None
    retract: list[str] = field(default_factory=list)  # previous version's files this one replaces
    replaced_partitions: list[str] = field(default_factory=list)

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
        return LandingFile(landing_file=storable(self.name), sha256=self.sha256, ingestion_day=self.ingestion_day,
                           previous_version=self.previous_version, replaces=self.replaces or None, **extra)


# Versions: per dataset and name, the contents ingested under it, oldest first.


def _versions_path(source: LandingSource, zone: RawZone, name: str) -> UPath:
    key = hashlib.sha256(storable(version_name(name)[0]).encode()).hexdigest()[:32]
    return source.state_dir(zone, "versions") / f"{key}.json"


def latest_version(source: LandingSource, zone: RawZone, name: str) -> str | None:
    """sha256 of the latest content ingested under ``name`` (or the name it replaces), if any."""
    index = _read_json(_versions_path(source, zone, name))
    return index["versions"][-1]["sha256"] if index and index["versions"] else None


def _record_version(source: LandingSource, zone: RawZone, plan: _Plan) -> None:
    path = _versions_path(source, zone, plan.name)
    index = _read_json(path) or {"name": storable(version_name(plan.name)[0]), "versions": []}
    if any(v["sha256"] == plan.sha256 for v in index["versions"]):
        return  # recorded before a crash
    index["versions"].append({"sha256": plan.sha256, "landing_file": storable(plan.name),
                              "ingestion_day": plan.ingestion_day, "replaces": plan.replaces})
    _write_json(path, index)


def _begin(source: LandingSource, zone: RawZone, name: str, facts: FileFacts, bounds: TimeBounds) -> _Plan:
    marker = source.state_dir(zone, "inflight") / f"{facts.sha256}.json"
    previous = _Plan.from_json(marker.read_bytes()) if marker.exists() else None
    if previous:
        log.info("resuming %s (sha256 %s) from an interrupted intake of %s", _log_name(name), facts.short_id,
                 previous.ingestion_day)
        day, until, prior = previous.ingestion_day, previous.placed_until, previous.previous_version
    else:
        now = bounds.now()
        day, until = now.date().isoformat(), (now + bounds.clock_skew).isoformat()
        prior = latest_version(source, zone, name)
    plan = _Plan(facts.sha256, name, day, placed_until=until, md5=facts.md5, size=facts.size,
                 previous_version=prior, replaces=version_name(name)[1])
    plan.save(source, zone)
    return plan


def _rejects_bytes(source: LandingSource, plan: _Plan, rows: list[Rejection]) -> bytes:
    """Rejections in the dataset's format: CSV ``line,reason,record`` or one JSON object per line (the
    record as received, its reason cut to a bounded excerpt)."""
    if source.dataset.format == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows((row.line, excerpt(row.reason), row.record) for row in rows)
        return buffer.getvalue().encode()
    return b"".join(
        orjson.dumps({"line": row.line, "reason": excerpt(row.reason), "record": row.record,
                      "landing_file": storable(plan.name), "sha256": plan.sha256}) + b"\n"
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


@dataclass
class _Written:
    """What a split wrote: records per day, rejected records, and the placed records' key values."""

    counts: dict[str, int]
    rejected: int
    keys: list[pa.Array]


def write_partitions(
    source: LandingSource, zone: RawZone, path: UPath, plan: _Plan, bounds: TimeBounds,
    only_days: frozenset[str] | None = None,
) -> _Written:
    """Split ``path`` into partition files (and a rejects file); all appear only at the end.

    With ``only_days`` only those partitions are written and rejects are skipped (backfill). The
    files to be written are recorded in the plan before the first of them appears, so a failure
    can take them all back.
    """
    written = _Written({}, 0, [])
    csv_files = source.dataset.format == "csv"
    with ExitStack() as stack:
        outputs: dict[PartitionKey | None, Any] = {}
        for header, split in split_chunks(path, source, plan.window(bounds)):
            if split.keys is not None:
                written.keys.append(split.keys)
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
                written.counts[day] = written.counts.get(day, 0) + placed.count
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
                written.rejected += len(split.rejected)
        if only_days is None:
            plan.outputs = sorted(
                _relative(zone, zone.partition_dir(source.name, key[0]) / source.partition_file(plan.sha256, key[1]))
                if key else _relative(zone, zone.quarantine_dir(source.name, plan.ingestion_day)
                                      / source.rejects_file(plan.sha256))
                for key in outputs
            )
            plan.save(source, zone)
    return written


def _remove_outputs(zone: RawZone, outputs: Sequence[str]) -> None:
    """Take back data files (manifest first: the file turns invisible at once)."""
    for relative in outputs:
        path = zone.root / relative
        for victim in (manifest_path(path), path):
            if victim.exists():
                victim.unlink()


def _version_outputs(source: LandingSource, zone: RawZone, entry: Mapping[str, Any]) -> dict[str, list[str]]:
    """A finished version's partition files by day (relative to the raw zone), rejects left out."""
    quarantine = zone.quarantine_dir(source.name, entry["ingestion_day"])
    rejects = _relative(zone, quarantine / source.rejects_file(entry["sha256"]))
    by_day: dict[str, list[str]] = {}
    outputs = entry.get("outputs")
    if outputs is None:  # ledgers written before outputs were recorded: daily files named by sha256 only
        outputs = [_relative(zone, zone.partition_dir(source.name, day) / source.partition_file(entry["sha256"], None))
                   for day in entry["partitions"]]
    for relative in outputs:
        if relative != rejects:
            by_day.setdefault(UPath(relative).parent.name, []).append(relative)
    return by_day


def _keys_of(source: LandingSource, zone: RawZone, entry: Mapping[str, Any], bounds: TimeBounds) -> pa.Array | None:
    """The key values the finished version ``entry`` placed, read again from its archived original."""
    original = zone.root / entry["target"]
    plan = _Plan(entry["sha256"], entry["name"], entry["ingestion_day"], placed_until=entry.get("placed_until", ""))
    keys = [split.keys for _, split in split_chunks(original, source, plan.window(bounds)) if split.keys is not None]
    return pa.concat_arrays(keys) if keys else None


def _compare_versions(source: LandingSource, zone: RawZone, plan: _Plan, written: _Written,
                      bounds: TimeBounds) -> None:
    """Set the plan's repeated ids and, for a replacing version, what of the previous one it retracts."""
    entry = ledger_entry(source, zone, plan.previous_version) if plan.previous_version else None
    if entry is None:
        return
    if plan.replaces:
        previous = _version_outputs(source, zone, entry)
        plan.replaced_partitions = sorted(set(previous) & set(written.counts))
        plan.retract = sorted(f for day in plan.replaced_partitions for f in previous[day])
    if source.key_column and written.keys:
        try:
            before = _keys_of(source, zone, entry, bounds)
        except (OSError, IntakeError):
            log.warning("cannot read the previous version of %s to compare ids", _log_name(plan.name), exc_info=True)
            return
        if before is not None:
            ours = pc.unique(pa.concat_arrays(written.keys))
            plan.repeated_ids = int(pc.sum(pc.is_in(ours, value_set=pc.unique(before))).as_py() or 0)


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
    """Retract what this version replaces, move the snapshot to its target, write its manifest (and
    reason), record the version and the ledger entry, then let go of the landing entry.

    Idempotent: after a crash anywhere in here, calling it again completes the same steps.
    """
    _remove_outputs(zone, plan.retract)
    snapshot = snapshot_path(source, zone, plan.sha256)
    target = zone.root / plan.target
    if snapshot.exists():
        move_into_place(snapshot, target)
    elif not target.exists():
        raise FileNotFoundError(f"the snapshot of {_printable(plan.name)} ({plan.sha256[:16]}) vanished before it "
                                "was archived")
    lineage = plan.lineage(records_by_partition=plan.partitions, rejected_rows=plan.rejected_rows,
                           placed_until=plan.placed_until or None, outputs=plan.outputs or None,
                           reason=plan.reason, repeated_ids=plan.repeated_ids,
                           replaced_partitions=plan.replaced_partitions or None)
    if plan.reason:
        _write_reason(source, target, {"name": storable(plan.name), "reason": plan.reason,
                                       "ingestion_day": plan.ingestion_day, "sha256": plan.sha256})
    if read_manifest(target) is None:
        _write_moved_manifest(source, target, plan.ingestion_day, plan.record_count, plan.fmt, plan.size, plan.md5,
                              plan.sha256, lineage)
    steps.reached("intake.archived")
    status = "quarantined" if plan.reason else "ingested"
    if status == "ingested":
        _record_version(source, zone, plan)
    _write_json(source.state_dir(zone, "ledger") / f"{plan.sha256}.json",
                {**asdict(plan), "status": status, "finished_at": utc_now_iso()})
    steps.reached("intake.ledger-written")
    release_landing(source, zone, plan.name, plan.sha256)
    plan.path(source, zone).unlink()
    steps.reached("intake.landing-removed")


def _outcome_from_ledger(name: str, entry: Mapping[str, Any], status: str | None = None) -> FileOutcome:
    return FileOutcome(
        name, status or entry["status"], entry["sha256"], dict(entry["partitions"]), entry["rejected_rows"],
        entry.get("reason"), entry["target"], list(entry.get("outputs", [])), entry.get("previous_version"),
        entry.get("repeated_ids"), list(entry.get("replaced_partitions", [])),
    )


def _set_aside_duplicate(source: LandingSource, zone: RawZone, name: str, snapshot: UPath, facts: FileFacts,
                         entry: Mapping[str, Any]) -> FileOutcome:
    today = datetime.now(UTC).date().isoformat()
    target = zone.archive_dir(source.name) / "duplicates" / today / f"{facts.short_id}_{time.time_ns()}_{safe_name(name)}"
    move_into_place(snapshot, target)
    _write_moved_manifest(source, target, today, entry["record_count"], entry["fmt"], facts.size, facts.md5,
                          facts.sha256, LandingFile(landing_file=storable(name), sha256=facts.sha256,
                                                    duplicate_of=entry["target"]))
    steps.reached("intake.archived")
    release_landing(source, zone, name, facts.sha256)
    steps.reached("intake.landing-removed")
    log.info("duplicate %s landing file %s: content %s was already %s as %s; set aside, nothing ingested",
             source.name, _log_name(name), facts.short_id, entry["status"], entry["target"])
    outcome = _outcome_from_ledger(name, entry, status="duplicate")
    outcome.stored_as = _relative(zone, target)
    return outcome


def _split_into_partitions(source: LandingSource, zone: RawZone, snapshot: UPath, plan: _Plan,
                           bounds: TimeBounds) -> None:
    """The split of a file that passed its guards; on any error nothing of it stays published.

    An error of the environment (a disk) leaves the in-flight marker and the snapshot for the next
    pass; any other error is the file's own doing as far as this pass can tell: the file is
    quarantined with it as the reason, and a re-drop of the same bytes is tried again.
    """
    try:
        written = write_partitions(source, zone, snapshot, plan, bounds)
        steps.reached("intake.split-published")
        _compare_versions(source, zone, plan, written, bounds)
    except (OSError, IntakeError):
        _remove_outputs(zone, plan.outputs)
        raise
    except Exception as exc:  # noqa: BLE001 - whatever one file does, it is quarantined and the others proceed
        log.exception("the split of %s failed; quarantining it", _log_name(plan.name))
        _remove_outputs(zone, plan.outputs)
        plan.outputs, plan.error = [], True
        plan.reason, plan.fmt, plan.record_count = excerpt(f"intake error: {type(exc).__name__}: {exc}"), "bytes", 1
        return
    plan.partitions, plan.rejected_rows = written.counts, written.rejected
    plan.record_count = sum(written.counts.values()) + written.rejected
    note = _outcome_from_plan(plan).version_note(source.key_column)
    if note:
        (log.warning if plan.repeated_ids else log.info)("%s landing file %s", source.name, note)


def _outcome_from_plan(plan: _Plan) -> FileOutcome:
    return _outcome_from_ledger(plan.name, {**asdict(plan), "status": "ingested"})


def _ingest(source: LandingSource, zone: RawZone, name: str, path: UPath, bounds: TimeBounds) -> FileOutcome:
    snapshot, facts = take_snapshot(source, zone, path)
    entry = ledger_entry(source, zone, facts.sha256)
    if entry is not None and not entry.get("error"):
        return _set_aside_duplicate(source, zone, name, snapshot, facts, entry)
    plan = _begin(source, zone, name, facts, bounds)
    steps.reached("intake.identified")  # the content is taken: from here on recovery finishes it
    try:
        _complete(source, zone, plan, snapshot, facts, bounds)
    except (OSError, IntakeError):
        if plan.stage != "moving" and _landing_holds(source, zone, name, facts.sha256):
            _abandon(source, zone, plan)  # the landing file is retried as it is; nothing else needs the snapshot
        raise
    return _outcome_from_ledger(name, ledger_entry(source, zone, facts.sha256))


def _landing_holds(source: LandingSource, zone: RawZone, name: str, sha256: str) -> bool:
    path = landing_path(source, zone, name)
    return path.is_file() and inspect_file(path).sha256 == sha256


def _abandon(source: LandingSource, zone: RawZone, plan: _Plan) -> None:
    """Take back an undecided split: its partition files, then its marker and snapshot."""
    _remove_outputs(zone, plan.outputs)
    plan.path(source, zone).unlink(missing_ok=True)
    snapshot_path(source, zone, plan.sha256).unlink(missing_ok=True)


def _complete(source: LandingSource, zone: RawZone, plan: _Plan, snapshot: UPath, facts: FileFacts,
              bounds: TimeBounds) -> None:
    """Guards, split and finish of a content whose snapshot and in-flight marker are durable."""
    problem = content_problem(source, snapshot, facts)
    if problem:
        plan.reason, plan.fmt, plan.record_count = problem, "bytes", 1
        log.warning("quarantining %s landing file %s (sha256 %s): %s", source.name, _log_name(plan.name),
                    facts.short_id, problem)
    else:
        _split_into_partitions(source, zone, snapshot, plan, bounds)
    folder = zone.quarantine_dir(source.name, plan.ingestion_day) if plan.reason else \
        zone.archive_dir(source.name) / plan.ingestion_day
    plan.target = _relative(zone, folder / f"{facts.short_id}_{safe_name(plan.name)}")
    plan.stage = "moving"
    plan.save(source, zone)
    steps.reached("intake.decided")
    _finish(source, zone, plan)


def recover(source: LandingSource, zone: RawZone, bounds: TimeBounds | None = None) -> list[str]:
    """Finish every intake a crash interrupted, from the raw zone alone: a marker whose split was
    decided is finished (move, manifest, ledger, release); a marker still splitting is split again
    from its snapshot (identical bytes overwrite identical bytes) while its landing entry is still
    there (whatever it holds now: a changed file is released as the next version), or taken back
    when its producer withdrew the file (or, from before snapshots, no snapshot exists). Then every
    claim is settled and snapshots no marker needs are dropped. The caller holds the intake lock, which
    removed the temporary files a killed intake left."""
    folder = source.state_dir(zone, "inflight")
    finished: list[str] = []
    for marker in sorted(folder.glob("*.json"), key=lambda p: p.name) if folder.exists() else ():
        plan = _Plan.from_json(marker.read_bytes())
        snapshot = snapshot_path(source, zone, plan.sha256)
        if plan.stage != "moving" and not (snapshot.exists() and landing_path(source, zone, plan.name).exists()):
            log.warning("%s left the landing folder (or its split left no snapshot) before the split was decided: "
                        "taking back %d file(s)", _log_name(plan.name), len(plan.outputs))
            _abandon(source, zone, plan)
            continue
        log.info("completing the interrupted intake of %s (sha256 %s)", _log_name(plan.name), plan.sha256[:16])
        try:
            if plan.stage == "moving":
                _finish(source, zone, plan)
            else:
                _complete(source, zone, plan, snapshot, inspect_file(snapshot), bounds or TimeBounds())
        except (OSError, IntakeError):
            log.exception("cannot complete the intake of %s; its marker stays in %s", _log_name(plan.name), folder)
            continue
        finished.append(plan.name)
    _recover_staging(source, zone)
    return finished


def _on_disk(source: LandingSource, zone: RawZone, name: str) -> str:
    """The landing entry ``name`` stands for: itself, or the entry whose :func:`storable` form it is
    (a name with bytes that are not UTF-8 travels through run configs escaped)."""
    folder = source.landing_dir(zone)
    if not zone.is_local or not folder.exists():
        return name
    entries = os.listdir(folder.path)
    if name in entries:
        return name
    return next((entry for entry in entries if storable(entry) == name), name)


def ingest_file(source: LandingSource, zone: RawZone, name: str, bounds: TimeBounds | None = None) -> FileOutcome:
    """Ingest one landing file by name (the sensors' runs and the one-shot passes all come here)."""
    bounds = bounds or TimeBounds()
    name = _on_disk(source, zone, name)
    try:
        path = landing_path(source, zone, name)
    except UnsafeName as exc:
        return refuse(source, zone, name, str(exc))
    with intake_lock(source, zone):
        recover(source, zone, bounds)
        if zone.is_local and path.is_symlink():
            return refuse(source, zone, name, "symbolic link: not followed")
        if not path.is_file():
            return FileOutcome(name, "missing", reason="no such file in the landing folder")
        problem = name_problem(name)
        if problem:
            return refuse(source, zone, name, problem)
        with ingestion_run(source.name, log, file=_log_name(name)) as record:
            outcome = _ingest(source, zone, name, path, bounds)
            record.counts.update(records=outcome.records, rejected=outcome.rejected_rows,
                                 partitions=len(outcome.partitions))
            if outcome.repeated_ids:
                record.counts["repeated_ids"] = outcome.repeated_ids
            record.files.append(outcome.stored_as or name)
        return outcome


@dataclass
class PassResult:
    outcomes: list[FileOutcome] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # still being written when the pass gave up waiting

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
        log.exception("intake of %s failed; it stays in the landing folder", _log_name(name))
        return FileOutcome(name, "failed", reason=excerpt(f"{type(exc).__name__}: {exc}"))


def run_pass(source: LandingSource, zone: RawZone, settle_seconds: float = DEFAULT_SETTLE_SECONDS,
             bounds: TimeBounds | None = None, max_wait: float = 0.0) -> PassResult:
    """One pass over the landing folder: every complete file ingested, quarantined, refused or set aside.

    A problem with one file is logged and recorded; it never stops the others. With ``max_wait``
    (seconds) the pass also waits for files that are still settling, re-scanning until they have
    settled or the time is up; the ones still growing then are reported as ``waiting``.
    """
    deadline = time.monotonic() + max_wait
    with intake_lock(source, zone):
        recover(source, zone, bounds)
    result = PassResult()
    while True:
        scan = scan_landing(source, zone, settle_seconds)
        for link in scan.links:
            result.outcomes.append(guarded(link.name, refuse, source, zone, link.name, "symbolic link: not followed"))
        for entry in [*scan.refused, *scan.ready]:
            result.outcomes.append(guarded(entry.name, ingest_file, source, zone, entry.name, bounds))
        result.waiting = scan.waiting
        remaining = deadline - time.monotonic()
        if not scan.waiting or remaining <= 0:
            return result
        pause = min(remaining, max(0.05, (scan.settles_at or 0.0) - time.time()))
        log.info("waiting up to %.1f s for %d settling file(s): %s", remaining, len(scan.waiting),
                 ", ".join(_log_name(n) for n in scan.waiting))
        time.sleep(pause)  # until the first waiting file can have settled, then look again


# ------------------------------------------------------------------------------- the sensors


@dataclass(frozen=True)
class RunPlan:
    """A run a sensor should request: which landing entry, under which run key."""

    name: str  # as :func:`storable` writes it (run configs hold text that is valid UTF-8)
    run_key: str
    sha256: str = ""  # the content the sensor saw ("" for a link or a refused name: never read)


def plan_runs(
    source: LandingSource, zone: RawZone, known: Mapping[str, Mapping[str, Any]],
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
) -> tuple[list[RunPlan], dict[str, dict[str, Any]]]:
    """A sensor's decisions: the runs to request, and the new cursor state. Changes nothing on disk.

    ``known`` maps entries already requested to the size/mtime they had then: those are not hashed
    or requested again while unchanged. A new content gets a run keyed by its sha256 (Dagster never
    launches a run key twice); a content already in the ledger gets a run that sets the copy aside
    (or, when an error of the split quarantined it, one that tries again); a content whose run is
    pending under another name waits for that run; a link or a refused name gets a run that refuses it.
    """
    scan = scan_landing(source, zone, settle_seconds)
    still_known: dict[str, dict[str, Any]] = {}
    pending: set[str] = set()
    for entry in [*scan.links, *scan.refused, *scan.ready]:
        seen = known.get(entry.name)
        if seen and seen["size"] == entry.size and seen["mtime_ns"] == entry.mtime_ns:
            still_known[entry.name] = dict(seen)
            pending.add(seen["sha256"])
    plans: list[RunPlan] = []
    for kind, entries in (("link", scan.links), ("name", scan.refused)):
        for entry in entries:
            if entry.name not in still_known:
                plans.append(RunPlan(storable(entry.name), f"refuse-{kind}-{entry.mtime_ns}-{_name_key(entry.name)}"))
                still_known[entry.name] = {"size": entry.size, "mtime_ns": entry.mtime_ns, "sha256": ""}
    for entry in scan.ready:
        if entry.name in still_known:
            continue
        try:
            sha256 = inspect_file(landing_path(source, zone, entry.name)).sha256
        except OSError:  # gone meanwhile (another pass took it) or unreadable: next tick decides
            log.warning("cannot read %s landing file %s yet", source.name, _log_name(entry.name), exc_info=True)
            continue
        finished = ledger_entry(source, zone, sha256)
        if finished is not None:
            kind = "retry" if finished.get("error") else "duplicate"
            run_key = f"{kind}-{sha256}-{entry.mtime_ns}-{_name_key(entry.name)}"
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
    """Rebuild ``days`` from the archive, byte-identical to the original intake; records per day.

    Rows a later version replaced stay out (and their files, if a crash left any, are removed).
    """
    with intake_lock(source, zone):
        return _rederive(source, zone, days, bounds or TimeBounds())


def _rederive(source: LandingSource, zone: RawZone, days: frozenset[str], bounds: TimeBounds) -> dict[str, int]:
    totals: dict[str, int] = {}
    archived = list(archived_sources(source, zone))
    replaced = {(m.source["previous_version"], day) for _, m in archived
                for day in m.source.get("replaced_partitions") or ()}
    for path, manifest in archived:
        lineage = manifest.source
        expected = {d: n for d, n in lineage.get("records_by_partition", {}).items()
                    if d in days and (manifest.sha256, d) not in replaced}
        for day in {d for sha, d in replaced if sha == manifest.sha256 and d in days}:
            _remove_outputs(zone, _version_outputs(source, zone, {
                "sha256": manifest.sha256, "ingestion_day": lineage["ingestion_day"],
                "partitions": lineage.get("records_by_partition", {}), "outputs": lineage.get("outputs"),
            }).get(day, []))
        if not expected:
            continue
        facts = inspect_file(path)
        if facts.md5 != manifest.md5 or facts.size != manifest.bytes:
            raise CorruptFileError(f"{path}: archived file does not match its manifest")
        plan = _Plan(manifest.sha256, lineage["landing_file"], lineage["ingestion_day"],
                     placed_until=lineage.get("placed_until") or "",
                     previous_version=lineage.get("previous_version"), replaces=bool(lineage.get("replaces")))
        counts = write_partitions(source, zone, path, plan, bounds, only_days=frozenset(expected)).counts
        if counts != expected:
            raise IntakeError(f"{path}: re-derived {counts}, the original intake placed {expected}")
        for day, n in counts.items():
            totals[day] = totals.get(day, 0) + n
    return totals
