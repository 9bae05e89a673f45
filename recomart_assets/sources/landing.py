"""The transactions landing zone: find complete drops, ingest each exactly once, archive or quarantine.

One implementation behind ``recomart ingest-transactions``, the Dagster sensor and its runs.

* **Scan**: regular files directly in ``landing/``; ``.tmp``/``.part`` and hidden names are
  ignored, files modified in the last ``settle_seconds`` are still being written. Symbolic links
  and names that would leave the folder are refused (a reason file, never followed).
* **Identity**: a file is its content sha256. The ledger (``_state/transactions/ledger/<sha>.json``)
  remembers every finished sha, so an identical re-drop under any name is a logged no-op (the copy
  is set aside under ``archive/transactions/duplicates/``).
* **Ingest**: whole-file problems (empty, binary, undecodable, header not the contract, odd name)
  send the file to ``quarantine/transactions/D/`` with a ``.reason.json``. Otherwise its lines
  are split by UTC date into ``transactions/<day>/ingested_<sha16>.csv`` (deterministic, so a
  re-run overwrites), rejects go to ``quarantine/transactions/D/rejected_<sha16>.csv`` with a
  reason column, and the original moves to ``archive/transactions/D/`` (D: the ingestion day).
* **Crash safety**: an in-flight marker (``_state/transactions/inflight/<sha>.json``) fixes the
  ingestion day before any output and records the outcome before the original moves. Output files
  appear only whole, with their manifest last. After a crash the next pass either redoes the split
  (identical bytes overwrite identical bytes) or finishes the move, manifest and ledger entry.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from upath import UPath

from recomart_assets.errors import CorruptFileError, IntakeError, UnsafeName
from recomart_assets.lake import RawZone, open_data_file, read_manifest, utc_now_iso, write_bytes_atomic
from recomart_assets.lake.manifest import Manifest, manifest_path, write_data_file
from recomart_assets.logs import get_logger, ingestion_run
from recomart_assets.sources import transaction_csv as tcsv

log = get_logger("landing")

DATASET = "transactions"
IGNORED_SUFFIXES = (".tmp", ".part")
DEFAULT_SETTLE_SECONDS = 2.0
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


# --------------------------------------------------------------------------------------- names


def landing_path(zone: RawZone, name: str) -> UPath:
    """``landing/<name>``; refuses anything that is not a single path component inside it."""
    if (
        not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or os.path.isabs(name)
    ):
        raise UnsafeName(f"name escapes the landing folder: {name!r}")
    return zone.landing / name


def safe_name(name: str) -> str:
    """A file-system friendly rendering of a landing name, for the copies we keep of it."""
    cleaned = _UNSAFE_CHARS.sub("_", name).strip("._") or "unnamed"
    return cleaned[:120]


def name_problem(name: str) -> str | None:
    """Why a landing name is not acceptable as a transactions drop (None when it is)."""
    if not _PLAIN_NAME.fullmatch(name):
        return f"odd file name {name!r}: only letters, digits, '.', '_' and '-' are accepted"
    if not name.lower().endswith(".csv"):
        return f"not a CSV: file name {name!r} does not end in .csv"
    return None


def is_ignored(name: str) -> bool:
    return name.startswith(".") or name.lower().endswith(IGNORED_SUFFIXES)


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
    links: list[str] = field(default_factory=list)  # symbolic links: refused


def scan_landing(zone: RawZone, settle_seconds: float = DEFAULT_SETTLE_SECONDS) -> LandingScan:
    """Sort what is in ``landing/`` into complete files, files still growing and refused links."""
    scan = LandingScan()
    if not zone.landing.exists():
        return scan
    now = time.time()
    for path in sorted(zone.landing.iterdir(), key=lambda p: p.name):
        name = path.name
        if is_ignored(name):
            continue
        if zone.is_local and path.is_symlink():
            scan.links.append(name)
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


# ------------------------------------------------------------------------------ state on disk


def _state_dir(zone: RawZone, kind: str) -> UPath:
    return zone.state_dir / DATASET / kind


def _read_json(path: UPath) -> dict[str, Any] | None:
    return json.loads(path.read_bytes()) if path.exists() else None


def _write_json(path: UPath, data: Mapping[str, Any]) -> None:
    write_bytes_atomic(path, json.dumps(data, indent=2, sort_keys=True).encode() + b"\n")


def ledger_entry(zone: RawZone, sha256: str) -> dict[str, Any] | None:
    """What happened to the content ``sha256`` (None if it was never finished)."""
    return _read_json(_state_dir(zone, "ledger") / f"{sha256}.json")


@contextmanager
def intake_lock(zone: RawZone) -> Iterator[None]:
    """One intake at a time per raw zone (CLI, sensor runs): serialises work on the same file."""
    if not zone.is_local:
        yield
        return
    folder = zone.state_dir / DATASET
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

    @property
    def records(self) -> int:
        return sum(self.partitions.values())


def _relative(zone: RawZone, path: UPath) -> str:
    return path.path[len(zone.root.path.rstrip("/")) + 1 :]


def _write_reason(target: UPath, details: Mapping[str, Any]) -> UPath:
    reason_file = target.with_name(target.name + ".reason.json")
    write_data_file(
        reason_file, json.dumps(dict(details), indent=2, sort_keys=True).encode() + b"\n", dataset=DATASET,
        partition=details.get("ingestion_day"), record_count=1, fmt="json", source={"landing_file": details["name"]},
    )
    return reason_file


def refuse(zone: RawZone, name: str, reason: str) -> FileOutcome:
    """Refuse a link or an escaping name: write a reason file, remove a link (never its target)."""
    today = datetime.now(UTC).date().isoformat()
    details: dict[str, Any] = {"name": name, "reason": reason, "ingestion_day": today, "refused_at": utc_now_iso()}
    target = zone.quarantine_dir(DATASET, today) / f"refused_{safe_name(name)}_{time.time_ns()}"
    try:
        path = landing_path(zone, name)
    except UnsafeName:
        path = None
    if path is not None and zone.is_local and path.is_symlink():
        details["link_target"] = os.readlink(path.path)
        path.unlink()
    reason_file = _write_reason(target, details)
    log.warning("refused landing entry %r: %s", name, reason)
    return FileOutcome(name, "refused", reason=reason, stored_as=_relative(zone, reason_file))


# ------------------------------------------------------------------------------------- ingest


@dataclass
class _Plan:
    """The in-flight marker: written before any output, completed before the original moves."""

    sha256: str
    name: str
    ingestion_day: str
    stage: str = "splitting"  # splitting | moving
    target: str | None = None  # destination of the original, relative to the raw zone
    fmt: str = "csv"
    record_count: int = 0
    reason: str | None = None
    partitions: dict[str, int] = field(default_factory=dict)
    rejected_rows: int = 0
    md5: str = ""
    size: int = 0

    def path(self, zone: RawZone) -> UPath:
        return _state_dir(zone, "inflight") / f"{self.sha256}.json"

    def save(self, zone: RawZone) -> None:
        _write_json(self.path(zone), asdict(self))


def _begin(zone: RawZone, name: str, facts: tcsv.FileFacts) -> _Plan:
    marker = _state_dir(zone, "inflight") / f"{facts.sha256}.json"
    previous = _read_json(marker)
    day = previous["ingestion_day"] if previous else datetime.now(UTC).date().isoformat()
    plan = _Plan(facts.sha256, name, day, md5=facts.md5, size=facts.size)
    plan.save(zone)
    if previous:
        log.info("resuming %s (sha256 %s) from an interrupted intake of %s", name, facts.short_id, day)
    return plan


def _lineage(plan: _Plan) -> dict[str, Any]:
    return {"landing_file": plan.name, "sha256": plan.sha256, "ingestion_day": plan.ingestion_day}


def partition_file_name(sha256: str) -> str:
    return f"ingested_{sha256[:16]}.csv"


def write_partitions(
    zone: RawZone, source: UPath, plan: _Plan, only_days: frozenset[str] | None = None
) -> tuple[dict[str, int], int]:
    """Split ``source`` into partition files (and a rejects file); all appear only at the end.

    Returns (records per day, rejected rows). With ``only_days`` only those partitions are
    written and rejects are skipped (backfill).
    """
    lineage = _lineage(plan)
    counts: dict[str, int] = {}
    rejected = 0
    with ExitStack() as stack:
        outputs: dict[str, Any] = {}
        rejects = None
        for header, chunk in tcsv.split_by_day(source, date.fromisoformat(plan.ingestion_day), only_days):
            for day, lines in chunk.days.items():
                out = outputs.get(day)
                if out is None:
                    out = outputs[day] = stack.enter_context(open_data_file(
                        zone.partition_dir(DATASET, day) / partition_file_name(plan.sha256), dataset=DATASET,
                        partition=day, fmt="csv", source={**lineage, "lines": [lines.first_line, lines.last_line]},
                        columns=header.columns,
                    ))
                    out.write((header.line + "\n").encode())
                out.write(lines.text.encode(), records=lines.count)
                out.source["lines"][1] = lines.last_line
                counts[day] = counts.get(day, 0) + lines.count
            if chunk.rejected:
                if rejects is None:
                    rejects = stack.enter_context(open_data_file(
                        zone.quarantine_dir(DATASET, plan.ingestion_day) / f"rejected_{plan.sha256[:16]}.csv",
                        dataset=DATASET, partition=plan.ingestion_day, fmt="csv", source=lineage,
                        columns=("line", "reason", "record"),
                    ))
                    rejects.write(b"line,reason,record\n")
                rejects.write(_rejects_csv(chunk.rejected), records=len(chunk.rejected))
                rejected += len(chunk.rejected)
    return counts, rejected


def _rejects_csv(rows: list[tcsv.Rejected]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows((row.line, row.reason, row.record) for row in rows)
    return buffer.getvalue().encode()


def _write_moved_manifest(
    target: UPath, partition: str, record_count: int, fmt: str, size: int, md5: str, sha256: str,
    source: Mapping[str, Any],
) -> None:
    """Manifest of a landing file moved as received; checksums come from the pass that identified it."""
    manifest = Manifest(
        file=target.name, dataset=DATASET, partition=partition, record_count=record_count, bytes=size, md5=md5,
        sha256=sha256, format=fmt, created_at=utc_now_iso(), source=source,
    )
    write_bytes_atomic(manifest_path(target), manifest.to_json())


def _finish(zone: RawZone, plan: _Plan) -> None:
    """Move the original to its target, write its manifest (and reason), record it in the ledger.

    Idempotent: after a crash anywhere in here, calling it again completes the same steps.
    """
    source = landing_path(zone, plan.name)
    target = zone.root / plan.target
    if not target.exists():  # a landing file of that name after the move is a new drop: left alone
        if not source.exists():
            raise FileNotFoundError(f"{plan.name} vanished from the landing folder before it was archived")
        target.parent.mkdir(parents=True, exist_ok=True)
        source.rename(target)
    lineage = {**_lineage(plan), "records_by_partition": plan.partitions, "rejected_rows": plan.rejected_rows}
    if plan.reason:
        lineage["reason"] = plan.reason
        _write_reason(target, {"name": plan.name, "reason": plan.reason, "ingestion_day": plan.ingestion_day,
                                     "sha256": plan.sha256})
    if read_manifest(target) is None:
        _write_moved_manifest(target, plan.ingestion_day, plan.record_count, plan.fmt, plan.size, plan.md5,
                              plan.sha256, lineage)
    status = "quarantined" if plan.reason else "ingested"
    _write_json(_state_dir(zone, "ledger") / f"{plan.sha256}.json", {**asdict(plan), "status": status,
                                                                       "finished_at": utc_now_iso()})
    plan.path(zone).unlink()


def _outcome_from_ledger(name: str, entry: Mapping[str, Any], status: str | None = None) -> FileOutcome:
    return FileOutcome(
        name, status or entry["status"], entry["sha256"], dict(entry["partitions"]), entry["rejected_rows"],
        entry.get("reason"), entry["target"],
    )


def _set_aside_duplicate(zone: RawZone, path: UPath, facts: tcsv.FileFacts, entry: Mapping[str, Any]) -> FileOutcome:
    today = datetime.now(UTC).date().isoformat()
    name = f"{facts.short_id}_{time.time_ns()}_{safe_name(path.name)}"
    target = zone.archive_dir(DATASET) / "duplicates" / today / name
    target.parent.mkdir(parents=True, exist_ok=True)
    path.rename(target)
    _write_moved_manifest(target, today, entry["record_count"], entry["fmt"], facts.size, facts.md5, facts.sha256,
                          {"landing_file": path.name, "sha256": facts.sha256, "duplicate_of": entry["target"]})
    log.info("duplicate landing file %s: content %s was already %s as %s; set aside, nothing ingested",
             path.name, facts.short_id, entry["status"], entry["target"])
    outcome = _outcome_from_ledger(path.name, entry, status="duplicate")
    outcome.stored_as = _relative(zone, target)
    return outcome


def _ingest(zone: RawZone, name: str, path: UPath) -> FileOutcome:
    stat_before = path.stat()
    facts = tcsv.inspect_file(path)
    entry = ledger_entry(zone, facts.sha256)
    if entry is not None:
        return _set_aside_duplicate(zone, path, facts, entry)
    plan = _begin(zone, name, facts)
    problem = name_problem(name) or tcsv.content_problem(path, facts)
    if problem:
        plan.reason, plan.fmt, plan.record_count = problem, "bytes", 1
        folder = zone.quarantine_dir(DATASET, plan.ingestion_day)
        log.warning("quarantining landing file %r (sha256 %s): %s", name, facts.short_id, problem)
    else:
        plan.partitions, plan.rejected_rows = write_partitions(zone, path, plan)
        if path.stat().st_size != stat_before.st_size or path.stat().st_mtime != stat_before.st_mtime:
            raise IntakeError(f"{name} changed while it was ingested; it will be retried")
        plan.record_count = tcsv.csv_record_count(path, facts)
        folder = zone.archive_dir(DATASET) / plan.ingestion_day
    plan.target = _relative(zone, folder / f"{facts.short_id}_{safe_name(name)}")
    plan.stage = "moving"
    plan.save(zone)
    _finish(zone, plan)
    return _outcome_from_ledger(name, ledger_entry(zone, facts.sha256))


def recover(zone: RawZone) -> list[str]:
    """Finish intakes that crashed after their split (the move, manifest or ledger step)."""
    folder = _state_dir(zone, "inflight")
    finished = []
    if not folder.exists():
        return finished
    for marker in sorted(folder.glob("*.json"), key=lambda p: p.name):
        plan = _Plan(**json.loads(marker.read_bytes()))
        if plan.stage != "moving":
            continue  # crashed mid-split: the file is still in landing/ and will be split again
        log.info("completing the interrupted intake of %s (sha256 %s)", plan.name, plan.sha256[:16])
        try:
            _finish(zone, plan)
        except OSError:
            log.exception("cannot complete the intake of %s; its marker stays in %s", plan.name, folder)
            continue
        finished.append(plan.name)
    return finished


def ingest_file(zone: RawZone, name: str) -> FileOutcome:
    """Ingest one landing file by name (the sensor's run and the CLI pass both come here)."""
    try:
        path = landing_path(zone, name)
    except UnsafeName as exc:
        return refuse(zone, name, str(exc))
    with intake_lock(zone):
        recover(zone)
        if zone.is_local and path.is_symlink():
            return refuse(zone, name, "symbolic link: not followed")
        if not path.is_file():
            return FileOutcome(name, "missing", reason="no such file in the landing folder")
        with ingestion_run("transactions", log, file=name if _PLAIN_NAME.fullmatch(name) else repr(name)) as record:
            outcome = _ingest(zone, name, path)
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


def run_intake_pass(zone: RawZone, settle_seconds: float = DEFAULT_SETTLE_SECONDS) -> PassResult:
    """One pass over ``landing/``: every complete file ingested, quarantined, refused or set aside.

    A problem with one file is logged and recorded; it never stops the others.
    """
    with intake_lock(zone):
        recover(zone)
    scan = scan_landing(zone, settle_seconds)
    result = PassResult(waiting=scan.waiting)
    for name in scan.links:
        result.outcomes.append(guarded(name, refuse, zone, name, "symbolic link: not followed"))
    for entry in scan.ready:
        result.outcomes.append(guarded(entry.name, ingest_file, zone, entry.name))
    return result


def guarded(name: str, action: Callable[..., FileOutcome], *args: Any) -> FileOutcome:
    """Run ``action`` for one landing entry; an error is logged and returned, never raised."""
    try:
        return action(*args)
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the pass or the sensor
        log.exception("intake of %r failed; it stays in the landing folder", name)
        return FileOutcome(name, "failed", reason=f"{type(exc).__name__}: {exc}")


# ---------------------------------------------------------------------------------- backfill


def archived_sources(zone: RawZone) -> Iterator[tuple[UPath, Mapping[str, Any]]]:
    """Archived originals (not duplicates) with their manifests' lineage."""
    folder = zone.archive_dir(DATASET)
    if not folder.exists():
        return
    for day_dir in sorted(folder.iterdir(), key=lambda p: p.name):
        if day_dir.name == "duplicates" or not day_dir.is_dir():
            continue
        for path in sorted(day_dir.iterdir(), key=lambda p: p.name):
            manifest = read_manifest(path) if not path.name.endswith(".manifest") else None
            if manifest is not None and manifest.format == "csv":
                yield path, manifest


def rederive_partitions(zone: RawZone, days: frozenset[str]) -> dict[str, int]:
    """Rebuild ``days`` from the archive, byte-identical to the original intake; records per day."""
    totals: dict[str, int] = {}
    for path, manifest in archived_sources(zone):
        expected = {d: n for d, n in manifest.source.get("records_by_partition", {}).items() if d in days}
        if not expected:
            continue
        facts = tcsv.inspect_file(path)
        if facts.md5 != manifest.md5 or facts.size != manifest.bytes:
            raise CorruptFileError(f"{path}: archived file does not match its manifest")
        plan = _Plan(manifest.sha256, manifest.source["landing_file"], manifest.source["ingestion_day"])
        counts, _ = write_partitions(zone, path, plan, only_days=frozenset(expected))
        if counts != expected:
            raise IntakeError(f"{path}: re-derived {counts}, the original intake placed {expected}")
        for day, n in counts.items():
            totals[day] = totals.get(day, 0) + n
    return totals
