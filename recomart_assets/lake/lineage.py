"""Typed lineage: where a raw-zone file came from, one class per kind of source.

A manifest's ``source`` is stored as a JSON object with a ``type`` field; these classes are the one
place that object is built (:meth:`Lineage.to_source`) and read back (:func:`parse_lineage`).
Older manifests (``manifest_version`` 1, or none at all, e.g. written by another tool) are still
read: a landing-file lineage without ``type`` is recognised by its keys, and anything unknown
becomes :class:`ForeignLineage`, which keeps the raw object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar


@dataclass(frozen=True, kw_only=True)
class Lineage:
    """Base of every lineage kind; ``kind`` is the ``type`` written into the manifest."""

    kind: ClassVar[str] = ""
    snapshot: str | None = None  # on a flat "latest" copy: the daily snapshot file it copies

    def to_source(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if v is not None}
        return {"type": self.kind, **data}

    @classmethod
    def from_source(cls, source: Mapping[str, Any]) -> Lineage:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in source.items() if k in names})


@dataclass(frozen=True, kw_only=True)
class KafkaBatch(Lineage):
    """A consumer batch of one Kafka partition: the offset range it covers, in which cluster."""

    kind: ClassVar[str] = "kafka"
    topic: str
    partition: int
    batch_start_offset: int
    batch_end_offset: int
    cluster_id: str = ""
    consumer_group: str = ""
    batch_files: int = 1  # files written for this batch (resume checks they are all there)
    quarantine: bool = False
    # A file merged from several batch files when its day was sealed: one entry per batch file it holds
    # (file, batch_start_offset, batch_end_offset, batch_files, record_count, md5), and the files it replaces.
    segments: list[dict[str, Any]] | None = None
    supersedes: list[str] | None = None


@dataclass(frozen=True, kw_only=True)
class LandingFile(Lineage):
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
class HttpPull(Lineage):
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


@dataclass(frozen=True, kw_only=True)
class MasterExport(Lineage):
    """A master-database export file as read (name, content sha256, read time)."""

    kind: ClassVar[str] = "master_export"
    file: str
    sha256: str
    read_at: str


@dataclass(frozen=True, kw_only=True)
class Derived(Lineage):
    """A file computed from other raw-zone files (a seal, a quality report, a metric state)."""

    kind: ClassVar[str] = "derived"
    derived: str  # what was computed: "seal", "quality_report", ...
    inputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Manual(Lineage):
    """A file a person asked for through a command (an acknowledgement of a quality finding)."""

    kind: ClassVar[str] = "manual"
    by: str
    command: str


@dataclass(frozen=True, kw_only=True)
class ForeignLineage(Lineage):
    """A lineage this version does not know (another tool's manifest): kept as received."""

    raw: dict[str, Any] = field(default_factory=dict)

    def to_source(self) -> dict[str, Any]:
        return dict(self.raw)


KINDS: dict[str, type[Lineage]] = {cls.kind: cls for cls in (KafkaBatch, LandingFile, HttpPull, MasterExport, Derived, Manual)}


def parse_lineage(source: Mapping[str, Any]) -> Lineage:
    """The typed lineage of a manifest's ``source`` object (never raises)."""
    kind = source.get("type")
    if kind is None and "landing_file" in source and "sha256" in source:  # manifest_version 1
        kind = LandingFile.kind
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        return ForeignLineage(raw=dict(source))
    try:
        return cls.from_source(source)
    except TypeError:  # required fields missing
        return ForeignLineage(raw=dict(source))
