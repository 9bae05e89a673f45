"""Typed lineage: where a raw-zone file came from, one class per kind of source.

A manifest's ``source`` is stored as a JSON object with a ``type`` field; these classes are the one
place that object is built (:meth:`BaseLineage.to_source`) and read back (:func:`parse_lineage`),
so every reader uses attributes and a renamed field fails at type-check time. :data:`Lineage` is
the union a manifest's ``source`` holds.
Older manifests (``manifest_version`` 1, or none at all, e.g. written by another tool) are still
read: a landing-file lineage without ``type`` is recognised by its keys, and anything unknown (or
with keys this version does not know) becomes :class:`UnknownLineage`, which keeps the raw object,
so it is written back unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, ClassVar, Self


@dataclass(frozen=True, kw_only=True)
class BaseLineage:
    """Base of every lineage kind; ``kind`` is the ``type`` written into the manifest."""

    kind: ClassVar[str] = ""
    snapshot: str | None = None  # on a flat "latest" copy: the daily snapshot file it copies
    # Fields that are None yet written (as null): set explicitly to None, or read as null. Any other
    # None field is left out, so an absent key stays absent and a null stays a null.
    nulls: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def to_source(self) -> dict[str, Any]:
        """The JSON object stored as the manifest's ``source`` (fields left at None are not written)."""
        data = {k: v for k, v in asdict(self).items() if k != "nulls" and (v is not None or k in self.nulls)}
        return {"type": self.kind, **data}

    def updated(self, **changes: Any) -> Self:
        """A copy with ``changes`` (lineages are frozen: a writer completes one by replacing it)."""
        nulls = (self.nulls - changes.keys()) | {k for k, v in changes.items() if v is None}
        return replace(self, **changes, nulls=frozenset(nulls))

    @classmethod
    def field_names(cls) -> frozenset[str]:
        """The keys a ``source`` object of this kind may have (besides ``type``)."""
        return frozenset(f.name for f in fields(cls)) - {"nulls"}


@dataclass(frozen=True, kw_only=True)
class KafkaBatch(BaseLineage):
    """A consumer batch of one Kafka partition: the offset range it covers, in which cluster."""

    kind: ClassVar[str] = "kafka"
    topic: str
    partition: int
    batch_start_offset: int
    batch_end_offset: int
    # Optional in the type so a manifest written before they existed reads back as it is written;
    # the consumer and the seal always set them.
    cluster_id: str | None = None
    consumer_group: str | None = None
    batch_files: int | None = None  # files written for this batch (resume checks they are all there)
    quarantine: bool | None = None
    # A file merged from several batch files when its day was sealed: one entry per batch file it holds
    # (file, batch_start_offset, batch_end_offset, batch_files, record_count, md5), and the files it replaces.
    segments: list[dict[str, Any]] | None = None
    supersedes: list[str] | None = None
    # Set by the consumer when it opens and closes the batch: the partition's log epoch and topic id
    # (a recreated topic or a truncated log is told apart) and the last message's fingerprint.
    log_epoch: int | None = None
    topic_id: str | None = None
    last_message: str | None = None


@dataclass(frozen=True, kw_only=True)
class LandingFile(BaseLineage):
    """A file dropped in a landing zone, identified by its content sha256."""

    kind: ClassVar[str] = "landing_file"
    landing_file: str
    sha256: str
    ingestion_day: str | None = None
    lines: list[int] | None = None  # first and last record of the original placed in this file
    records_by_partition: dict[str, int] | None = None
    rejected_rows: int | None = None
    previous_version: str | None = None  # sha256 of the earlier file under the same name
    replaces: bool | None = None  # True when this version replaced the previous version's rows
    outputs: list[str] | None = None
    placed_until: str | None = None  # latest event time the intake placed (ingestion time + clock skew)
    reason: str | None = None  # why the whole file was quarantined
    duplicate_of: str | None = None  # on a copy set aside: where the same content was archived first
    repeated_ids: int | None = None  # key values (e.g. transaction ids) the previous version had too
    replaced_partitions: list[str] | None = None  # days whose previous-version rows this version replaced


@dataclass(frozen=True, kw_only=True)
class HttpPull(BaseLineage):
    """One pull of an HTTP API: URL, the day asked for, pages and attempts, when it was fetched."""

    kind: ClassVar[str] = "http_api"
    url: str
    fetched_at: str
    as_of: str | None = None
    pages: int = 0
    page_size: int | None = None
    attempts: int = 1
    failed_attempts: dict[str, int] = field(default_factory=dict)
    fetch_seconds: float | None = None
    paging: str | None = None  # cursor, offset or single (one page)
    passes: int | None = None  # walks over every page (offset paging is confirmed by a second, equal one)
    quarantined: int | None = None  # records set aside as outside the schema's types
    quarantine: bool | None = None  # on the quarantine file of a pull: True


@dataclass(frozen=True, kw_only=True)
class MasterExport(BaseLineage):
    """A master-database export file as read (name, content sha256, read time)."""

    kind: ClassVar[str] = "master_export"
    file: str
    sha256: str
    read_at: str


@dataclass(frozen=True, kw_only=True)
class Derived(BaseLineage):
    """A file computed from other raw-zone files (a seal, a quality report, a metric state)."""

    kind: ClassVar[str] = "derived"
    derived: str  # what was computed: "seal", "quality_report", ...
    inputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Manual(BaseLineage):
    """A file a person asked for through a command (an acknowledgement of a quality finding)."""

    kind: ClassVar[str] = "manual"
    by: str
    command: str


@dataclass(frozen=True, kw_only=True)
class UnknownLineage(BaseLineage):
    """A lineage this version does not know (another tool's manifest, a test's): kept as received."""

    raw: dict[str, Any] = field(default_factory=dict)

    def to_source(self) -> dict[str, Any]:
        """The raw object exactly as received (no ``type`` added), with ``snapshot`` set when this is a latest copy's
        lineage: an unknown lineage is written back unchanged."""
        return dict(self.raw) if self.snapshot is None else {**self.raw, "snapshot": self.snapshot}

    def updated(self, **changes: Any) -> Self:
        """A copy with ``changes`` merged into the raw object."""
        return replace(self, raw={**self.raw, **changes})


Lineage = KafkaBatch | LandingFile | HttpPull | MasterExport | Derived | Manual | UnknownLineage
"""What a manifest's ``source`` holds: one of the known kinds, or the raw object of an unknown one."""

KNOWN: tuple[type[KafkaBatch | LandingFile | HttpPull | MasterExport | Derived | Manual], ...] = (
    KafkaBatch, LandingFile, HttpPull, MasterExport, Derived, Manual)
KINDS: dict[str, type[KafkaBatch | LandingFile | HttpPull | MasterExport | Derived | Manual]] = {
    cls.kind: cls for cls in KNOWN}


def parse_lineage(source: Mapping[str, Any]) -> Lineage:
    """The typed lineage of a manifest's ``source`` object (never raises).

    A kind is typed only when every key is one of its fields and writing it back gives the same
    object (no default filled in); anything else stays an :class:`UnknownLineage` as received.
    """
    kind = source.get("type")
    if kind is None and "landing_file" in source and "sha256" in source:  # manifest_version 1
        kind = LandingFile.kind
    elif kind is None and "topic" in source and "batch_start_offset" in source:  # manifest_version 1
        kind = KafkaBatch.kind
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None or not set(source) - {"type"} <= cls.field_names():
        return UnknownLineage(raw=dict(source))
    try:
        lineage = cls(**{k: v for k, v in source.items() if k != "type"},
                      nulls=frozenset(k for k, v in source.items() if v is None))
    except TypeError:  # required fields missing
        return UnknownLineage(raw=dict(source))
    # Typed only when written back it is the same object (a version-1 one gains its ``type``).
    return lineage if lineage.to_source() == {**source, "type": kind} else UnknownLineage(raw=dict(source))


def as_lineage(source: Lineage | Mapping[str, Any]) -> Lineage:
    """``source`` typed: a lineage as is, a raw object (a writer's or a test's) parsed."""
    return parse_lineage(source) if isinstance(source, Mapping) else source
