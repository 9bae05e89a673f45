"""The ``.manifest`` sidecar: what a data file is, how to check it, and where it came from.

Every data file ``F`` in the raw zone has ``F.manifest``, written after ``F`` (so a file without
one is incomplete); when ``F`` is replaced, its old manifest is withdrawn before the new bytes are
renamed into place, unless it describes them already. The checksums let ``recomart verify`` and every reader detect corruption; the
``source`` object is the lineage (Kafka offsets, landing file and sha256, API URL and fetch time):
in memory one of the typed classes of :mod:`recomart_assets.lake.lineage`, parsed by
:meth:`Manifest.from_json` and turned back into the JSON object only by :meth:`Manifest.to_json`.

``manifest_version`` 2 adds the version field itself and a ``type`` in every ``source``. Version 1
manifests (and manifests with only the contract's fields, written by another tool) are still read.
"""

from __future__ import annotations

import builtins
import contextvars
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr
from upath import UPath

from recomart_assets.errors import CorruptFileError
from recomart_assets.lake import steps
from recomart_assets.lake.atomic import HashingWriter, atomic_writer, write_bytes_atomic
from recomart_assets.lake.lineage import Lineage, as_lineage, parse_lineage

# Every writer's data files: the new bytes renamed into place (no manifest yet, or the old one when
# it describes them), then the manifest written (the file is complete).
steps.declare("datafile.in-place", "datafile.manifest-written")

MANIFEST_SUFFIX = ".manifest"
MANIFEST_VERSION = 2
# A manifest is a few hundred bytes; ``verify`` refuses anything this large (and never reads it in).
MAX_MANIFEST_BYTES = 1 << 20
# A header's column names are listed in the manifest only up to this many characters in all (a
# header is data: a 50 MB column name is kept in the file, not copied into its manifest).
MAX_COLUMNS_CHARS = 64 << 10


def producer_version() -> str:
    """``recomart-assets <version>``: the manifest's ``producer``, so a file names the release that wrote it
    (``(uninstalled)`` from a source tree)."""
    try:
        return f"recomart-assets {version('recomart-assets')}"
    except PackageNotFoundError:  # running from a source tree without installing
        return "recomart-assets (uninstalled)"


def utc_now_iso() -> str:
    """Now in UTC as ISO 8601 with milliseconds and a ``Z`` (``created_at`` of manifests, states and reports)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")



def iso_or_none(value: datetime | None) -> str | None:
    """An optional moment as ISO 8601 for a state file (None stays None); :func:`moment_or_none` reads it back."""
    return None if value is None else value.isoformat()


def moment_or_none(value: str | None) -> datetime | None:
    """What :func:`iso_or_none` wrote, as a moment again."""
    return None if value is None else datetime.fromisoformat(value)


NonNegative = Annotated[StrictInt, Field(ge=0)]


def _iso8601(value: str) -> str:
    datetime.fromisoformat(value)  # ValueError (reported by pydantic) when it is not ISO 8601
    return value


class ContractManifest(BaseModel):
    """The manifest fields the contract requires (and the optional ones, when present), typed strictly.

    Strict: ``"3"`` is not a record count and ``true`` is not a size. Unknown fields are allowed.
    """

    model_config = ConfigDict(extra="allow", strict=True)

    file: StrictStr
    dataset: StrictStr
    partition: StrictStr | None
    record_count: NonNegative
    bytes: NonNegative
    md5: Annotated[StrictStr, Field(pattern=r"^[0-9a-fA-F]{32}$")]
    created_at: Annotated[StrictStr, AfterValidator(_iso8601)]
    source: dict[str, Any]
    manifest_version: NonNegative | None = None
    format: StrictStr | None = None
    columns: list[StrictStr] | None = None


@dataclass(frozen=True)
class Manifest:
    """Contents of a ``.manifest`` file (see the raw-zone section of the README)."""

    file: str
    dataset: str
    partition: str | None
    record_count: int
    bytes: int
    md5: str
    created_at: str
    source: Lineage
    columns: Sequence[str] = ()
    producer: str = field(default_factory=producer_version)
    sha256: str = ""
    format: str = ""
    manifest_version: int = 1  # what a manifest without the field is; new ones are written as MANIFEST_VERSION

    def to_json(self) -> builtins.bytes:
        """The bytes of the ``.manifest`` file (sorted keys: the same manifest is the same bytes)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["columns"] = list(self.columns)
        data["source"] = self.source.to_source()
        return json.dumps(data, indent=2, sort_keys=True, default=str).encode() + b"\n"

    @classmethod
    def from_json(cls, raw: builtins.bytes | str) -> Manifest:
        """Parse and check a manifest (the contract's fields, strictly typed); raises CorruptFileError.

        ``recomart verify`` uses :class:`ContractManifest` itself to name each kind of problem.
        """
        try:
            data = json.loads(raw)
            ContractManifest.model_validate(data)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, ValidationError (both ValueErrors)
            raise CorruptFileError(f"unusable manifest: {exc}") from exc
        known = {f for f in cls.__dataclass_fields__}
        data["source"] = parse_lineage(data.get("source") or {})
        data.setdefault("format", str(data.get("file", "")).rpartition(".")[2])
        return cls(**{k: v for k, v in data.items() if k in known})


def manifest_path(data_path: UPath) -> UPath:
    """The sidecar of ``data_path``: the same folder and name plus ``.manifest`` (``F`` -> ``F.manifest``)."""
    return data_path.with_name(data_path.name + MANIFEST_SUFFIX)


def read_manifest(data_path: UPath) -> Manifest | None:
    """The manifest of ``data_path``, or None when the file is incomplete (no manifest yet)."""
    path = manifest_path(data_path)
    if not path.exists():
        return None
    return Manifest.from_json(path.read_bytes())


def _withdraw_stale_manifest(path: UPath) -> Callable[[HashingWriter], bool]:
    """Before new bytes replace ``path``: remove its manifest unless it already describes them.

    So a reader or ``verify`` sees the old file with its manifest, then (between the rename and
    the new manifest) a file without one, which is incomplete and skipped, then the new file with
    its manifest: never new bytes under the old manifest. A rerun writing the same bytes keeps
    the file visible throughout.
    """

    def withdraw(writer: HashingWriter) -> bool:
        sidecar = manifest_path(path)
        if not sidecar.exists():
            return False
        try:
            old = Manifest.from_json(sidecar.read_bytes())
        except CorruptFileError:
            old = None
        if old is None or (old.md5, old.bytes) != (writer.md5, writer.bytes_written):
            sidecar.unlink(missing_ok=True)
            return True
        return False

    return withdraw


def _finish(
    path: UPath,
    writer: HashingWriter,
    *,
    dataset: str,
    partition: str | None,
    record_count: int,
    fmt: str,
    source: Lineage | Mapping[str, Any],
    columns: Sequence[str],
) -> Manifest:
    steps.reached("datafile.in-place")
    manifest = Manifest(
        file=path.name,
        dataset=dataset,
        partition=partition,
        record_count=record_count,
        bytes=writer.bytes_written,
        md5=writer.md5,
        sha256=writer.sha256,
        format=fmt,
        created_at=utc_now_iso(),
        source=as_lineage(source),
        columns=list(columns) if sum(map(len, columns)) <= MAX_COLUMNS_CHARS else [],
        manifest_version=MANIFEST_VERSION,
    )
    blob = manifest.to_json()
    if len(blob) > MAX_MANIFEST_BYTES:  # verify would refuse it: a writer put unbounded input into its lineage
        raise ValueError(f"the manifest of {path.name} would be {len(blob)} bytes (limit {MAX_MANIFEST_BYTES})")
    write_bytes_atomic(manifest_path(path), blob)
    steps.reached("datafile.manifest-written")
    return manifest


def write_data_file(
    path: UPath,
    data: bytes,
    *,
    dataset: str,
    partition: str | None,
    record_count: int,
    fmt: str,
    source: Lineage | Mapping[str, Any],
    columns: Sequence[str] = (),
) -> Manifest:
    """Atomically write ``data`` to ``path``, then its manifest; returns the manifest."""
    writer = write_bytes_atomic(path, data, _withdraw_stale_manifest(path))
    return _finish(
        path, writer, dataset=dataset, partition=partition, record_count=record_count, fmt=fmt,
        source=source, columns=columns,
    )


class StreamingDataFile:
    """Handle given by :func:`open_data_file`: write bytes, count records, complete the lineage."""

    def __init__(self, writer: HashingWriter, source: Lineage):
        """Wrap the atomic write's ``writer``; ``source`` is the lineage so far, completed later through
        :meth:`update_source`."""
        self._writer = writer
        self.record_count = 0
        self.source = source
        self.manifest: Manifest | None = None  # set once the file and its manifest are durable

    def write(self, data: bytes, records: int = 0) -> None:
        """Append ``data`` to the file and add ``records`` (how many records these bytes hold; 0 by default) to the
        manifest's ``record_count``."""
        self._writer.write(data)
        self.record_count += records

    def update_source(self, **changes: Any) -> None:
        """Complete the lineage inside the block (e.g. with the final offset); field names are checked."""
        self.source = self.source.updated(**changes)


@contextmanager
def open_data_file(
    path: UPath, *, dataset: str, partition: str | None, fmt: str, source: Lineage | Mapping[str, Any],
    columns: Sequence[str] = (),
) -> Iterator[StreamingDataFile]:
    """Write a data file in chunks (bounded memory); its manifest is written when the block ends.

    ``out.write(chunk, records=n)`` appends bytes and counts records; ``out.update_source(...)``
    completes the lineage inside the block (e.g. with the final offset). On an exception nothing appears.
    """
    with atomic_writer(path, _withdraw_stale_manifest(path)) as writer:
        handle = StreamingDataFile(writer, as_lineage(source))
        yield handle
    handle.manifest = _finish(
        path, writer, dataset=dataset, partition=partition, record_count=handle.record_count,
        fmt=fmt, source=handle.source, columns=columns,
    )


class DataFiles:
    """The data files of one :func:`open_data_files` block."""

    def __init__(self) -> None:
        """No file yet."""
        self.contexts: list[AbstractContextManager[StreamingDataFile]] = []

    def open(self, path: UPath, **details: Any) -> StreamingDataFile:
        """Start the data file ``path`` (the keywords of :func:`open_data_file`); it is published when the block ends."""
        context = open_data_file(path, **details)
        handle = context.__enter__()
        self.contexts.append(context)
        return handle


PUBLISHING_THREADS = 8  # files whose fsyncs may overlap when a block of them is published


@contextmanager
def open_data_files() -> Iterator[DataFiles]:
    """Write several data files side by side, each as :func:`open_data_file` would; on an exception none appears.

    When the block ends they are published on a few threads: each file still goes bytes first and
    manifest last (its own commit point), but the files' fsyncs (five per file with its manifest
    and folders) overlap instead of queueing, which is most of the time a split into 30 days takes
    to publish. The files' order among themselves was never part of the protocol.
    """
    files = DataFiles()
    try:
        yield files
    except BaseException:
        failure = sys.exc_info()
        for context in reversed(files.contexts):
            context.__exit__(*failure)  # removes its temporary file
        raise
    if len(files.contexts) < 2:
        for context in files.contexts:
            context.__exit__(None, None, None)
        return
    with ThreadPoolExecutor(min(PUBLISHING_THREADS, len(files.contexts)), thread_name_prefix="publish") as pool:
        # each in the caller's context: temporary files keep their owner's tag (atomic.temporary_files_owned_by)
        done = [pool.submit(contextvars.copy_context().run, context.__exit__, None, None, None)
                for context in files.contexts]
    for future in done:
        future.result()
