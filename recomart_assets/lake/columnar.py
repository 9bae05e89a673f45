"""Columnar copies of sealed JSON Lines files: each event's fields as text, in Parquet, made once per day.

Parsing JSON is most of the cost of reading a clickstream day, and the seal parses every event
anyway. So the seal of a day also writes, per event file, a copy of its fields as text values in
Parquet (each value exactly what DuckDB's ``json_extract_string`` gives for the key's JSON Pointer,
the expression the engine's raw path uses), and validation reads the copy instead of parsing the
file again.

The raw zone's JSON Lines files stay the source of truth; a copy is a cache, so it lives with the
writers' bookkeeping (rule R5 of ``docs/protocol.md``), not beside the data files:
``_state/columnar/<dataset>/<day>/<file>.parquet``, which ``recomart verify`` does not walk (a copy
is not a data file of the contract). It is written like one, though: atomically, then its manifest
(size, md5, sha256), whose lineage (``Derived``, ``derived: columnar_copy``) names the raw file, that
file's md5, size and record count as its manifest gave them when the seal had verified its bytes,
and the file's fields (key and JSON type, in key order) behind the columns ``__c0``, ``__c1`` …
(named by position: keys are data, never identifiers).

A reader takes a copy (:func:`find_copy`) only while the raw file's current manifest still names
that md5, size and record count and the file's size, modification time and inode are unchanged, and
verifies the copy's own bytes against its manifest before any row counts; anything else (no copy, a
stale or half-written one, a damaged one) means reading the raw file, with the same results. The
raw file itself is not hashed again when its copy is read: the seal hashed it when it made the
copy, a file written since has another modification time or inode, and ``recomart verify`` re-hashes every
data file (silent decay of a raw file under an unchanged modification time is its finding). Only narrow files (no line over
:data:`~recomart_assets.lake.scanning.WIDE_LINE_BYTES`) whose every field was recorded get a copy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
from upath import UPath

from recomart_assets.errors import CorruptFileError
from recomart_assets.lake.atomic import TEMP_PREFIX
from recomart_assets.lake.files import remove_data_file
from recomart_assets.lake.lineage import Derived
from recomart_assets.lake.manifest import Manifest, open_data_file, read_manifest
from recomart_assets.lake.readers import is_data_file_name
from recomart_assets.lake.scanning import is_wide, json_pointer, literal
from recomart_assets.lake.zone import RawZone

COPY_KIND = "columnar_copy"  # the ``derived`` of a copy's lineage
COPY_SUFFIX = ".parquet"
_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class ColumnarCopy:
    """A usable copy of a raw file: where it is, its manifest, and the raw file's fields (key -> JSON
    type, in key order), the ``i``-th behind column ``__c<i>``."""

    path: UPath
    manifest: Manifest
    fields: dict[str, str]


def copies_dir(zone: RawZone, dataset: str, day: str) -> UPath:
    """The folder of a day's copies (bookkeeping, written only by that day's seal). Not under
    ``_state/clickstream/``, whose sub-folders are named after Kafka topics (one may be ``columnar``)."""
    return zone.state_dir / "columnar" / dataset / day


def copy_path(zone: RawZone, dataset: str, day: str, name: str) -> UPath:
    """Where the copy of the raw file ``name`` of ``dataset``'s ``day`` is."""
    return copies_dir(zone, dataset, day) / f"{name}{COPY_SUFFIX}"


def column(index: int) -> str:
    """The Parquet column holding a copy's ``index``-th field."""
    return f"__c{index}"


def can_copy(fields: Mapping[str, object], fields_left_out: int, widest_line: int) -> bool:
    """True for a file that gets a copy: narrow, and every one of its fields recorded."""
    return not fields_left_out and not is_wide(widest_line) and bool(fields)


def raw_stamp(path: UPath) -> list[int]:
    """The raw file's size, modification time (ns) and inode: what a copy of it remembers, so that a
    file changed behind its manifest's back (same name, same manifest: written in place, or replaced)
    makes its copy stale without the reader hashing the file again. Taken by the seal before it reads
    the file."""
    stat = path.stat()
    return [int(stat.st_size), int(stat.st_mtime_ns), int(stat.st_ino)]


def _lineage(copy: StagedCopy) -> Derived:
    return Derived(derived=COPY_KIND, inputs={"file": copy.raw_name, "md5": copy.raw.md5, "bytes": copy.raw.bytes,
                                              "record_count": copy.raw.record_count, "stamp": copy.stamp,
                                              "fields": [[name, kind] for name, kind in copy.fields.items()]})


def find_copy(zone: RawZone, dataset: str, day: str, raw_path: UPath, raw: Manifest) -> ColumnarCopy | None:
    """The copy of ``raw_path`` if it still describes the file its manifest ``raw`` describes and the
    file's :func:`raw_stamp` is the one the seal saw (None: missing, half-written,
    unreadable or stale: read the raw file). Neither file's bytes are read here: the reader verifies
    the copy against its own manifest before any row counts."""
    path = copy_path(zone, dataset, day, raw_path.name)
    try:
        manifest = read_manifest(path)
    except CorruptFileError:
        return None
    if manifest is None or not isinstance(manifest.source, Derived) or manifest.source.derived != COPY_KIND:
        return None
    inputs = manifest.source.inputs
    if (inputs.get("file"), inputs.get("md5"), inputs.get("bytes"), inputs.get("record_count")) != (
            raw_path.name, raw.md5, raw.bytes, raw.record_count) or manifest.record_count != raw.record_count:
        return None
    if inputs.get("stamp") != raw_stamp(raw_path):
        return None
    pairs = inputs.get("fields")
    if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in pairs):
        return None
    return ColumnarCopy(path, manifest, {name: kind for name, kind in pairs})


def copy_query(local_path: str, fields: Sequence[str]) -> str:
    """SQL of a JSON Lines file's objects as one text column per field (``__c<i>``: the ``i``-th),
    in file order: the values the engine's raw path reads."""
    pointers = ", ".join(literal(json_pointer(name)) for name in fields)
    values = ", ".join(f"v[{index + 1}] AS {column(index)}" for index in range(len(fields)))
    return (f"SELECT {values} FROM (SELECT json_extract_string(json, [{pointers}]) AS v FROM "
            f"read_ndjson_objects({literal(local_path)})) objects")


@dataclass(frozen=True)
class StagedCopy:
    """A copy written to a local work file, not yet published (its raw file's verification pending)."""

    raw_name: str
    raw: Manifest
    stamp: list[int]  # raw_stamp of the file, taken before the seal read it
    fields: dict[str, str]
    work_file: str


def stage_copy(connection: duckdb.DuckDBPyConnection, local_path: str, raw_name: str, raw: Manifest,
               stamp: list[int], fields: Mapping[str, str], work_file: str) -> StagedCopy | None:
    """Write the copy of one raw file (read at ``local_path``) to ``work_file``; None when its rows are
    not the manifest's record count (then the file gets no copy and is read raw).

    No Bloom filters: DuckDB writes one per dictionary-encoded column by default, which cost more
    than a third of the copy's encoding, and validation scans whole columns, never probes a value."""
    written = connection.execute(f"COPY ({copy_query(local_path, list(fields))}) TO {literal(work_file)} "
                                 f"(FORMAT parquet, COMPRESSION zstd, WRITE_BLOOM_FILTER false)").fetchone()
    if written is None or written[0] != raw.record_count:
        return None
    return StagedCopy(raw_name, raw, stamp, dict(fields), work_file)


def publish_copies(zone: RawZone, dataset: str, day: str, staged: Sequence[StagedCopy], day_files: set[str]) -> None:
    """Put verified staged copies in place (each atomically, its manifest last), and remove the
    copies of files the day no longer has and any temporary file a killed writer left.

    Only the seal of ``day`` calls it, holding the day's seal lock: the folder is its alone.
    """
    folder = copies_dir(zone, dataset, day)
    for copy in staged:
        with open_data_file(copy_path(zone, dataset, day, copy.raw_name), dataset=dataset, partition=day,
                            fmt="parquet", source=_lineage(copy)) as out:
            with open(copy.work_file, "rb") as source:
                while chunk := source.read(_CHUNK):
                    out.write(chunk)
            out.write(b"", records=copy.raw.record_count)
        Path(copy.work_file).unlink()
    if not folder.exists():
        return
    wanted = {f"{name}{COPY_SUFFIX}" for name in day_files}
    for path in folder.iterdir():
        if path.name.startswith(TEMP_PREFIX):
            path.unlink(missing_ok=True)
        elif is_data_file_name(path.name) and path.name not in wanted:
            remove_data_file(path)

