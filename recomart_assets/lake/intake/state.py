"""The intake's bookkeeping under ``_state/<dataset>/``: how its files are stored and versioned, the
version index of each landing name, and the lock that serialises one dataset's intakes.

Three kinds of state files, each a typed dataclass written as one JSON object with a
``state_version`` field (:data:`STATE_VERSION`):

* the in-flight marker ``inflight/<sha256>.json`` (:class:`~recomart_assets.lake.intake.plan.Plan`),
* the ledger entry ``ledger/<sha256>.json`` (:class:`~recomart_assets.lake.intake.plan.LedgerEntry`),
* the version index ``versions/<name key>.json`` (:class:`VersionIndex`).

Files without ``state_version`` are version 1: what the intake wrote before the field existed
(same keys otherwise); :func:`read_state` reads them through an upgrade step, so an older format is
recognised by its version, not by guessing from missing keys. A file of a newer version than this
code knows is refused (an :class:`~recomart_assets.errors.IntakeError`), never half-read.
State is bookkeeping (protocol rule R5): recovery checks it against the data files' manifests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol, TypeVar

from upath import UPath

from recomart_assets.errors import IntakeError
from recomart_assets.lake.atomic import write_bytes_atomic
from recomart_assets.lake.intake.contract import LandingSource
from recomart_assets.lake.intake.names import storable, version_name
from recomart_assets.lake.locks import exclusive_writer
from recomart_assets.lake.zone import RawZone

STATE_VERSION = 2  # 1: the same files without the field (before issue 21)
VERSION_FIELD = "state_version"


class StateRecord(Protocol):
    """A dataclass written as a state file: it carries the format version it was read as."""

    state_version: int


Record = TypeVar("Record", bound=StateRecord)
Upgrade = Callable[[dict[str, Any]], dict[str, Any]]


def encode_state(record: StateRecord) -> bytes:
    """A state record as written today: sorted keys, ``state_version`` = :data:`STATE_VERSION`."""
    data = asdict(record)  # type: ignore[call-overload]  # every StateRecord is a dataclass
    data[VERSION_FIELD] = STATE_VERSION
    return json.dumps(data, indent=2, sort_keys=True).encode() + b"\n"


def decode_state(raw: bytes, cls: type[Record], upgrade_v1: Upgrade | None = None) -> Record:
    """Parse a state file of any known version into ``cls``; unknown keys are ignored.

    A version 1 file (no ``state_version``) passes through ``upgrade_v1`` first, which fills in what
    version 2 always writes; the record keeps the version it was read as.
    """
    data = json.loads(raw)
    version = data.pop(VERSION_FIELD, 1)
    if not isinstance(version, int) or not 1 <= version <= STATE_VERSION:
        raise IntakeError(f"state file of version {version!r}: this code reads versions 1 to {STATE_VERSION}")
    if version == 1 and upgrade_v1 is not None:
        data = upgrade_v1(data)
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    known = {k: v for k, v in data.items() if k in names}
    known[VERSION_FIELD] = version
    return cls(**known)


def read_state(path: UPath, cls: type[Record], upgrade_v1: Upgrade | None = None) -> Record | None:
    """The state file at ``path`` (None when there is none), see :func:`decode_state`."""
    return decode_state(path.read_bytes(), cls, upgrade_v1) if path.exists() else None


def write_state(path: UPath, record: StateRecord) -> None:
    """Write a state record atomically, in today's format."""
    write_bytes_atomic(path, encode_state(record))


def marker_path(source: LandingSource, zone: RawZone, sha256: str) -> UPath:
    """``_state/<dataset>/inflight/<sha256>.json``: the in-flight marker of a content."""
    return source.state_dir(zone, "inflight") / f"{sha256}.json"


def ledger_path(source: LandingSource, zone: RawZone, sha256: str) -> UPath:
    """``_state/<dataset>/ledger/<sha256>.json``: the ledger entry of a finished content."""
    return source.state_dir(zone, "ledger") / f"{sha256}.json"


def versions_path(source: LandingSource, zone: RawZone, name: str) -> UPath:
    """``_state/<dataset>/versions/<key>.json``: the version index of ``name`` (or the name it replaces)."""
    key = hashlib.sha256(storable(version_name(name)[0]).encode()).hexdigest()[:32]
    return source.state_dir(zone, "versions") / f"{key}.json"


@dataclass(frozen=True)
class VersionRecord:
    """One content ingested under a name."""

    sha256: str
    landing_file: str
    ingestion_day: str
    replaces: bool


@dataclass
class VersionIndex:
    """Per dataset and landing name, the contents ingested under it, oldest first."""

    name: str
    versions: list[VersionRecord] = field(default_factory=list)
    state_version: int = STATE_VERSION

    def __post_init__(self) -> None:
        self.versions = [v if isinstance(v, VersionRecord) else VersionRecord(**v) for v in self.versions]

    @property
    def latest(self) -> str | None:
        """sha256 of the latest version, if any."""
        return self.versions[-1].sha256 if self.versions else None


def latest_version(source: LandingSource, zone: RawZone, name: str) -> str | None:
    """sha256 of the latest content ingested under ``name`` (or the name it replaces), if any."""
    index = read_state(versions_path(source, zone, name), VersionIndex)
    return index.latest if index else None


def record_version(source: LandingSource, zone: RawZone, name: str, sha256: str, ingestion_day: str,
                   replaces: bool) -> None:
    """Append the content ``sha256`` to the version index of ``name`` (idempotent after a crash)."""
    path = versions_path(source, zone, name)
    index = read_state(path, VersionIndex) or VersionIndex(storable(version_name(name)[0]))
    if any(v.sha256 == sha256 for v in index.versions):
        return  # recorded before a crash
    index.versions.append(VersionRecord(sha256, storable(name), ingestion_day, replaces))
    write_state(path, index)


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
