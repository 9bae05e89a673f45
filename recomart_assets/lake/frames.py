"""DataFrames in the raw zone: one write path for a dataset's daily partition and its latest copy.

Partition ``D`` of a dataset is written to ``<folder>/D/<dataset>_D.<fmt>`` with its manifest, then
the flat latest copy, which a backfill of an older day never overwrites with older data. Used by the
Dagster IO manager and by the plain commands (``recomart ingest-master``, ``pull-metadata``) alike.
"""

import io
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import pandas as pd
from upath import UPath

from recomart_assets.lake.lineage import Lineage, UnknownLineage
from recomart_assets.lake.locks import exclusive_writer
from recomart_assets.lake.manifest import Manifest, read_manifest, write_data_file
from recomart_assets.lake.zone import RawZone


@dataclass
class LakeFrame:
    """A DataFrame on its way into the raw zone, with the lineage for its manifest."""

    frame: pd.DataFrame
    source: Lineage = field(default_factory=UnknownLineage)


def serialize_frame(frame: pd.DataFrame, fmt: str) -> bytes:
    """The bytes of ``frame`` as a data file of format ``fmt``: CSV with a header and no index, or JSON Lines with
    ISO dates (an empty frame is an empty file); any other format is a ValueError."""
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    if fmt == "jsonl":
        return frame.to_json(orient="records", lines=True, date_format="iso").encode("utf-8") if len(frame) else b""
    raise ValueError(f"unsupported format {fmt!r}")


def deserialize_frame(data: bytes, fmt: str) -> pd.DataFrame:
    """A data file's bytes back as a DataFrame: CSV columns all read as pandas strings (empty cells NA, so the
    schema, not the reader, decides types), JSON Lines with the JSON types as written."""
    if fmt == "csv":
        return pd.read_csv(io.BytesIO(data), dtype="string", keep_default_na=True)
    if fmt == "jsonl":
        return pd.read_json(io.BytesIO(data), lines=True, dtype=False) if data.strip() else pd.DataFrame()
    raise ValueError(f"unsupported format {fmt!r}")


def partition_file(zone: RawZone, dataset: str, partition: str, fmt: str) -> UPath:
    """Where partition ``partition`` of ``dataset`` lives: ``<folder>/<partition>/<dataset>_<partition>.<fmt>``, the
    one name the writer and the IO manager's loader share."""
    return zone.partition_dir(dataset, partition) / f"{dataset}_{partition}.{fmt}"


def write_latest_if_newer(zone: RawZone, dataset: str, data: bytes, manifest: Manifest) -> bool:
    """Refresh the flat latest file unless it already holds a newer partition."""
    latest = zone.latest_file(dataset)
    current = read_manifest(latest)
    if current is not None and (current.partition or "") > (manifest.partition or ""):
        return False
    write_data_file(
        latest, data, dataset=dataset, partition=manifest.partition, record_count=manifest.record_count,
        fmt=manifest.format, source=manifest.source.updated(snapshot=manifest.file), columns=manifest.columns,
    )
    return True


def frame_writer(zone: RawZone, dataset: str, partition: str) -> AbstractContextManager[None]:
    """Hold while writing ``dataset``'s partition, its quarantine and its latest copy: one writer of a
    dataset at a time (the latest copy is shared by every partition, and "only if newer" is a read
    then a write), and the temporary files of a killed writer removed first."""
    return exclusive_writer(zone, f"frames:{dataset}",
                            [zone.partition_dir(dataset, partition), zone.quarantine_dir(dataset, partition)],
                            shallow=[zone.latest_file(dataset).parent])


def store_frame(
    zone: RawZone, dataset: str, partition: str, lake_frame: LakeFrame, fmt: str = "csv", latest: bool = False
) -> Manifest:
    """Write partition ``partition`` of ``dataset`` (and the latest copy if asked); the one write path.

    Callers hold :func:`frame_writer` around it (and around whatever else they write for the partition).
    """
    data = serialize_frame(lake_frame.frame, fmt)
    manifest = write_data_file(
        partition_file(zone, dataset, partition, fmt), data, dataset=dataset, partition=partition,
        record_count=len(lake_frame.frame), fmt=fmt, source=lake_frame.source,
        columns=[str(c) for c in lake_frame.frame.columns],
    )
    if latest:
        write_latest_if_newer(zone, dataset, data, manifest)
    return manifest
