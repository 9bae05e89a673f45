"""The plan of one content's intake: the in-flight marker, and the ledger entry it becomes.

A :class:`Plan` is written to ``_state/<dataset>/inflight/<sha256>.json`` before any output exists
(ingestion day, event-time bound, previous version), records the files the split writes before
the first of them appears, and the decision (outcome, target, what a correction retracts) before
the snapshot moves: recovery after a crash reads it back and finishes the same content the same
way. Once the content is archived, its plan is written, with the status, as its
:class:`LedgerEntry`. Changes go through the methods below, one per protocol step; the files are
stored by :mod:`recomart_assets.lake.intake.state` (typed, versioned).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

from upath import UPath

from recomart_assets.lake.intake.contract import EventTimeWindow, LandingSource
from recomart_assets.lake.intake.names import storable, zone_relative
from recomart_assets.lake.intake.outcome import FileOutcome
from recomart_assets.lake.intake.state import (
    STATE_VERSION,
    ledger_path,
    marker_path,
    read_state,
    write_state,
)
from recomart_assets.lake.lineage import LandingFile
from recomart_assets.lake.manifest import utc_now_iso
from recomart_assets.lake.placing import TimeBounds
from recomart_assets.lake.zone import RawZone

SPLITTING, MOVING = "splitting", "moving"  # the marker's stages: outputs may still change / decided


@dataclass
class Plan:
    """The in-flight marker: written before any output, completed before the original moves."""

    sha256: str
    name: str
    ingestion_day: str
    placed_until: str = ""  # the latest event time placed (ingestion time + clock skew), ISO 8601
    stage: str = SPLITTING  # splitting | moving
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
    state_version: int = STATE_VERSION  # the format this record was read as (always written as the current one)

    # -- stored

    @classmethod
    def load(cls, source: LandingSource, zone: RawZone, sha256: str) -> Plan | None:
        """The in-flight marker of ``sha256`` (None when no intake of it is in flight)."""
        return read_state(marker_path(source, zone, sha256), cls)

    def save(self, source: LandingSource, zone: RawZone) -> None:
        """Write the marker (atomically): what recovery will read back after a crash."""
        write_state(marker_path(source, zone, self.sha256), self)

    def drop(self, source: LandingSource, zone: RawZone) -> None:
        """Remove the marker: the content is no longer in flight."""
        marker_path(source, zone, self.sha256).unlink(missing_ok=True)

    # -- derived

    def window(self, bounds: TimeBounds) -> EventTimeWindow:
        """The event times this file's records were (or are) placed within."""
        if self.placed_until:
            return EventTimeWindow(bounds, datetime.fromisoformat(self.placed_until))
        # Intakes from before the bound was recorded placed up to the end of the day after ingestion.
        day_after_next = date.fromisoformat(self.ingestion_day) + timedelta(days=2)
        end = datetime(day_after_next.year, day_after_next.month, day_after_next.day, tzinfo=UTC)
        return EventTimeWindow(bounds, end - timedelta(microseconds=1))

    def lineage(self, **extra: Any) -> LandingFile:
        """The lineage of a file this intake writes (``extra``: what that file adds)."""
        return LandingFile(landing_file=storable(self.name), sha256=self.sha256, ingestion_day=self.ingestion_day,
                           previous_version=self.previous_version, replaces=self.replaces or None, **extra)

    def finished_lineage(self) -> LandingFile:
        """The lineage of the archived (or quarantined) original: everything the intake made of it."""
        return self.lineage(records_by_partition=self.partitions, rejected_rows=self.rejected_rows,
                            placed_until=self.placed_until or None, outputs=self.outputs or None,
                            reason=self.reason, repeated_ids=self.repeated_ids,
                            replaced_partitions=self.replaced_partitions or None)

    def outcome(self, status: str, name: str | None = None) -> FileOutcome:
        """This content as an outcome with ``status`` (for the entry ``name``, by default its own)."""
        return FileOutcome(
            name if name is not None else self.name, status, self.sha256, dict(self.partitions), self.rejected_rows,
            self.reason, self.target, list(self.outputs), self.previous_version, self.repeated_ids,
            list(self.replaced_partitions),
        )

    # -- the steps that change it

    def record_outputs(self, outputs: list[str]) -> None:
        """The files the split writes (relative to the raw zone), known before any of them appears."""
        self.outputs = sorted(outputs)

    def record_split(self, counts: dict[str, int], rejected: int) -> None:
        """What the split placed per day and rejected: every record counted once."""
        self.partitions, self.rejected_rows = counts, rejected
        self.record_count = sum(counts.values()) + rejected

    def record_replacement(self, previous_outputs: dict[str, list[str]], days: Iterable[str]) -> None:
        """A correction replaces the previous version's files in the ``days`` this version placed rows in."""
        self.replaced_partitions = sorted(set(previous_outputs) & set(days))
        self.retract = sorted(f for day in self.replaced_partitions for f in previous_outputs[day])

    def quarantine(self, reason: str, *, error: bool = False) -> None:
        """The whole file goes to quarantine as received, with ``reason`` (``error``: the split failed, so
        its outputs were taken back and a re-drop is tried again)."""
        if error:
            self.outputs, self.error = [], True
        self.reason, self.fmt, self.record_count = reason, "bytes", 1

    def decide(self, zone: RawZone, target: UPath) -> None:
        """Fix where the original goes; from now on recovery finishes the move instead of splitting again."""
        self.target = zone_relative(zone, target)
        self.stage = MOVING

    @property
    def decided(self) -> bool:
        """True once the outcome is fixed (stage ``moving``)."""
        return self.stage == MOVING

    def finished(self, status: str) -> LedgerEntry:
        """The ledger entry of this content, finished with ``status`` now."""
        plan = {f.name: getattr(self, f.name) for f in fields(Plan)}
        return LedgerEntry(**{**plan, "state_version": STATE_VERSION}, status=status, finished_at=utc_now_iso())


@dataclass
class LedgerEntry(Plan):
    """A finished content: its plan as it ended, the status, and when. ``target`` is where the
    original was archived (or quarantined), relative to the raw zone."""

    status: str = "ingested"  # ingested | quarantined
    finished_at: str = ""

    def save(self, source: LandingSource, zone: RawZone) -> None:
        """Write the ledger entry: the commit point of the content's intake."""
        write_state(ledger_path(source, zone, self.sha256), self)


def ledger_entry(source: LandingSource, zone: RawZone, sha256: str) -> LedgerEntry | None:
    """What happened to the content ``sha256`` (None if it was never finished).

    Version 1 entries from before the split's files were recorded (no ``outputs``) list the daily
    files named by the sha256 alone, as those intakes wrote them.
    """

    def upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
        if "outputs" in data:
            return data
        outputs = [zone_relative(zone, zone.partition_dir(source.name, day) / source.partition_file(data["sha256"], None))
                   for day in data.get("partitions", {})]
        return {**data, "outputs": outputs}

    return read_state(ledger_path(source, zone, sha256), LedgerEntry, upgrade_v1)


def previous_version_entry(source: LandingSource, zone: RawZone, plan: Plan) -> LedgerEntry | None:
    """The ledger entry of the version ``plan`` follows (None for a first version)."""
    return ledger_entry(source, zone, plan.previous_version) if plan.previous_version else None

