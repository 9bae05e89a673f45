"""Ingest one content: the writer protocol's steps for a landing file (``docs/protocol.md``,
"Landing intake"), each named in :mod:`~recomart_assets.lake.steps` (``intake.*``).

Snapshot (identity) → in-flight marker (``intake.identified``) → guards and split
(``intake.split-published``) → versions → decision (``intake.decided``) → finish: retract what a
correction replaces, archive the snapshot (``intake.archived``), version index and ledger entry
(``intake.ledger-written``, the commit point), release the landing entry
(``intake.landing-removed``). A crash after any step is finished by
:func:`~recomart_assets.lake.intake.recover.recover` from the raw zone alone; the callers
(:mod:`~recomart_assets.lake.intake.passes`) hold the intake lock.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from upath import UPath

from recomart_assets.errors import IntakeError, UnsafeName
from recomart_assets.lake import steps
from recomart_assets.lake.atomic import move_into_place, write_bytes_atomic
from recomart_assets.lake.intake.contract import LandingSource
from recomart_assets.lake.intake.guards import content_problem
from recomart_assets.lake.intake.identity import FileFacts, content_sha256
from recomart_assets.lake.intake.names import (
    landing_path,
    log_name,
    printable,
    safe_name,
    storable,
    version_name,
    zone_relative,
)
from recomart_assets.lake.intake.outcome import FileOutcome
from recomart_assets.lake.intake.plan import LedgerEntry, Plan, ledger_entry
from recomart_assets.lake.intake.snapshot import release_landing, snapshot_path, take_snapshot
from recomart_assets.lake.intake.split import take_back, write_partitions
from recomart_assets.lake.intake.state import latest_version, record_version
from recomart_assets.lake.intake.versions import compare_versions
from recomart_assets.lake.lineage import LandingFile
from recomart_assets.lake.manifest import Manifest, manifest_path, read_manifest, utc_now_iso, write_data_file
from recomart_assets.lake.placing import TimeBounds
from recomart_assets.lake.zone import RawZone
from recomart_assets.logs import get_logger
from recomart_assets.text import excerpt

log = get_logger("intake")

steps.declare("intake.identified", "intake.split-published", "intake.decided", "intake.archived",
              "intake.ledger-written", "intake.landing-removed")


def write_reason(source: LandingSource, target: UPath, details: Mapping[str, Any]) -> UPath:
    """``<target>.reason.json``: why a file was quarantined or refused (a data file with its manifest)."""
    reason_file = target.with_name(target.name + ".reason.json")
    write_data_file(
        reason_file, json.dumps(dict(details), indent=2, sort_keys=True).encode() + b"\n", dataset=source.name,
        partition=details.get("ingestion_day"), record_count=1, fmt="json", source={"landing_file": details["name"]},
    )
    return reason_file


def write_moved_manifest(
    source: LandingSource, target: UPath, partition: str, record_count: int, fmt: str, size: int, md5: str,
    sha256: str, lineage: LandingFile,
) -> None:
    """Manifest of a landing file moved as received; checksums come from the pass that identified it."""
    manifest = Manifest(
        file=target.name, dataset=source.name, partition=partition, record_count=record_count, bytes=size, md5=md5,
        sha256=sha256, format=fmt, created_at=utc_now_iso(), source=lineage, manifest_version=2,
    )
    write_bytes_atomic(manifest_path(target), manifest.to_json())


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
    path: UPath | None
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
        write_moved_manifest(source, target, today, 1, "bytes", facts.size, facts.md5, facts.sha256,
                             LandingFile(landing_file=details["name"], sha256=facts.sha256, reason=reason))
        release_landing(source, zone, name, facts.sha256)
    reason_file = write_reason(source, target, details)
    log.warning("refused %s landing entry %s: %s", source.name, printable(name), reason)
    return FileOutcome(name, "refused", reason=reason, stored_as=zone_relative(zone, reason_file))


def begin(source: LandingSource, zone: RawZone, name: str, facts: FileFacts, bounds: TimeBounds) -> Plan:
    """Write the in-flight marker of a content (or take over the one an interrupted intake left)."""
    previous = Plan.load(source, zone, facts.sha256)
    if previous:
        log.info("resuming %s (sha256 %s) from an interrupted intake of %s", log_name(name), facts.short_id,
                 previous.ingestion_day)
        day, until, prior = previous.ingestion_day, previous.placed_until, previous.previous_version
    else:
        now = bounds.now()
        day, until = now.date().isoformat(), (now + bounds.clock_skew).isoformat()
        prior = latest_version(source, zone, name)
    plan = Plan(facts.sha256, name, day, placed_until=until, size=facts.size, previous_version=prior,
                replaces=version_name(name)[1])  # the md5 may still be computed: it is recorded at the decision
    plan.save(source, zone)
    return plan


def split_into_partitions(source: LandingSource, zone: RawZone, snapshot: UPath, plan: Plan,
                          bounds: TimeBounds) -> None:
    """The split of a file that passed its guards; on any error nothing of it stays published.

    An error of the environment (a disk) leaves the in-flight marker and the snapshot for the next
    pass; any other error is the file's own doing as far as this pass can tell: the file is
    quarantined with it as the reason, and a re-drop of the same bytes is tried again.
    """
    try:
        written = write_partitions(source, zone, snapshot, plan, bounds)
        steps.reached("intake.split-published")
        compare_versions(source, zone, plan, written, bounds)
    except (OSError, IntakeError):
        take_back(zone, plan.outputs)
        raise
    except Exception as exc:  # noqa: BLE001 - whatever one file does, it is quarantined and the others proceed
        log.exception("the split of %s failed; quarantining it", log_name(plan.name))
        take_back(zone, plan.outputs)
        plan.quarantine(excerpt(f"intake error: {type(exc).__name__}: {exc}"), error=True)
        return
    plan.record_split(written.counts, written.rejected)
    note = plan.outcome("ingested").version_note(source.key_column)
    if note:
        (log.warning if plan.repeated_ids else log.info)("%s landing file %s", source.name, note)


def complete(source: LandingSource, zone: RawZone, plan: Plan, snapshot: UPath, facts: FileFacts,
             bounds: TimeBounds) -> None:
    """Guards, split and finish of a content whose snapshot and in-flight marker are durable."""
    problem = content_problem(source, snapshot, facts)
    if problem:
        plan.quarantine(problem)
        log.warning("quarantining %s landing file %s (sha256 %s): %s", source.name, log_name(plan.name),
                    facts.short_id, problem)
    else:
        split_into_partitions(source, zone, snapshot, plan, bounds)
    folder = zone.quarantine_dir(source.name, plan.ingestion_day) if plan.reason else \
        zone.archive_dir(source.name) / plan.ingestion_day
    plan.md5 = facts.md5  # for the archive manifest (finish); computed beside the split
    plan.decide(zone, folder / f"{facts.short_id}_{safe_name(plan.name)}")
    plan.save(source, zone)
    steps.reached("intake.decided")
    finish(source, zone, plan)


def finish(source: LandingSource, zone: RawZone, plan: Plan) -> None:
    """Retract what this version replaces, move the snapshot to its target, write its manifest (and
    reason), record the version and the ledger entry, then let go of the landing entry.

    Idempotent: after a crash anywhere in here, calling it again completes the same steps.
    """
    take_back(zone, plan.retract)
    snapshot = snapshot_path(source, zone, plan.sha256)
    target = zone.root / (plan.target or "")
    if snapshot.exists():
        move_into_place(snapshot, target)
    elif not target.exists():
        raise FileNotFoundError(f"the snapshot of {printable(plan.name)} ({plan.sha256[:16]}) vanished before it "
                                "was archived")
    if plan.reason:
        write_reason(source, target, {"name": storable(plan.name), "reason": plan.reason,
                                      "ingestion_day": plan.ingestion_day, "sha256": plan.sha256})
    if read_manifest(target) is None:
        write_moved_manifest(source, target, plan.ingestion_day, plan.record_count, plan.fmt, plan.size, plan.md5,
                             plan.sha256, plan.finished_lineage())
    steps.reached("intake.archived")
    status = "quarantined" if plan.reason else "ingested"
    if status == "ingested":
        record_version(source, zone, plan.name, plan.sha256, plan.ingestion_day, plan.replaces)
    plan.finished(status).save(source, zone)
    steps.reached("intake.ledger-written")
    release_landing(source, zone, plan.name, plan.sha256)
    plan.drop(source, zone)
    steps.reached("intake.landing-removed")


def abandon(source: LandingSource, zone: RawZone, plan: Plan) -> None:
    """Take back an undecided split: its partition files, then its marker and snapshot."""
    take_back(zone, plan.outputs)
    plan.drop(source, zone)
    snapshot_path(source, zone, plan.sha256).unlink(missing_ok=True)


def set_aside_duplicate(source: LandingSource, zone: RawZone, name: str, snapshot: UPath, facts: FileFacts,
                        entry: LedgerEntry) -> FileOutcome:
    """A content the ledger already holds: its copy goes to ``archive/<dataset>/duplicates/``, nothing is ingested."""
    today = datetime.now(UTC).date().isoformat()
    target = zone.archive_dir(source.name) / "duplicates" / today / f"{facts.short_id}_{time.time_ns()}_{safe_name(name)}"
    move_into_place(snapshot, target)
    write_moved_manifest(source, target, today, entry.record_count, entry.fmt, facts.size, facts.md5,
                         facts.sha256, LandingFile(landing_file=storable(name), sha256=facts.sha256,
                                                   duplicate_of=entry.target))
    steps.reached("intake.archived")
    release_landing(source, zone, name, facts.sha256)
    steps.reached("intake.landing-removed")
    log.info("duplicate %s landing file %s: content %s was already %s as %s; set aside, nothing ingested",
             source.name, log_name(name), facts.short_id, entry.status, entry.target)
    outcome = entry.outcome("duplicate", name)
    outcome.stored_as = zone_relative(zone, target)
    return outcome


def landing_holds(source: LandingSource, zone: RawZone, name: str, sha256: str) -> bool:
    """True while the landing entry ``name`` still holds the content ``sha256``."""
    path = landing_path(source, zone, name)
    return path.is_file() and content_sha256(path) == sha256


def ingest_content(source: LandingSource, zone: RawZone, name: str, path: UPath, bounds: TimeBounds) -> FileOutcome:
    """Snapshot the landing file ``path`` and take its content in (or set it aside as a duplicate)."""
    snapshot, facts = take_snapshot(source, zone, path)
    entry = ledger_entry(source, zone, facts.sha256)
    if entry is not None and not entry.error:
        return set_aside_duplicate(source, zone, name, snapshot, facts, entry)
    plan = begin(source, zone, name, facts, bounds)
    steps.reached("intake.identified")  # the content is taken: from here on recovery finishes it
    try:
        complete(source, zone, plan, snapshot, facts, bounds)
    except (OSError, IntakeError):
        if not plan.decided and landing_holds(source, zone, name, facts.sha256):
            abandon(source, zone, plan)  # the landing file is retried as it is; nothing else needs the snapshot
        raise
    finished = ledger_entry(source, zone, facts.sha256)
    if finished is None:
        raise IntakeError(f"{printable(name)}: finished without a ledger entry")
    return finished.outcome(finished.status, name)
