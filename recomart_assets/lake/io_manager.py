"""IO manager for daily-partitioned DataFrame assets stored as CSV or JSON Lines in the raw zone.

An asset declares where its data goes with definition metadata:
``recomart/dataset`` (a key of :data:`DATASET_FOLDERS`), optionally ``recomart/format``
(``csv``, the default, or ``jsonl``) and ``recomart/latest`` (True to also refresh the flat
"latest" file). It returns a :class:`LakeFrame` (the frame plus its lineage), or a DataFrame in an ``Output`` whose
``source`` metadata is the lineage.
Partition ``D`` is written to ``<folder>/D/<dataset>_D.<fmt>`` with its manifest, then the latest
copy, which a backfill of an older day never overwrites with older data.
"""

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from dagster import (
    ConfigurableIOManager,
    InputContext,
    MetadataValue,
    OutputContext,
    ResourceDependency,
    TableColumn,
    TableSchema,
)
from upath import UPath

from recomart_assets.lake.manifest import Manifest, read_manifest, write_data_file
from recomart_assets.lake.readers import read_verified_bytes
from recomart_assets.lake.zone import RawZone
from recomart_assets.resources import RecomartResource


@dataclass
class LakeFrame:
    """A DataFrame on its way into the raw zone, with the lineage for its manifest."""

    frame: pd.DataFrame
    source: Mapping[str, Any] = field(default_factory=dict)


def serialize_frame(frame: pd.DataFrame, fmt: str) -> bytes:
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    if fmt == "jsonl":
        return frame.to_json(orient="records", lines=True, date_format="iso").encode("utf-8") if len(frame) else b""
    raise ValueError(f"unsupported format {fmt!r}")


def deserialize_frame(data: bytes, fmt: str) -> pd.DataFrame:
    if fmt == "csv":
        return pd.read_csv(io.BytesIO(data), dtype="string", keep_default_na=True)
    if fmt == "jsonl":
        return pd.read_json(io.BytesIO(data), lines=True, dtype=False) if data.strip() else pd.DataFrame()
    raise ValueError(f"unsupported format {fmt!r}")


def partition_file(zone: RawZone, dataset: str, partition: str, fmt: str) -> UPath:
    return zone.partition_dir(dataset, partition) / f"{dataset}_{partition}.{fmt}"


def write_latest_if_newer(zone: RawZone, dataset: str, data: bytes, manifest: Manifest) -> bool:
    """Refresh the flat latest file unless it already holds a newer partition."""
    latest = zone.latest_file(dataset)
    current = read_manifest(latest)
    if current is not None and (current.partition or "") > (manifest.partition or ""):
        return False
    write_data_file(
        latest, data, dataset=dataset, partition=manifest.partition, record_count=manifest.record_count,
        fmt=manifest.format, source={**manifest.source, "snapshot": manifest.file}, columns=manifest.columns,
    )
    return True


def store_frame(
    zone: RawZone, dataset: str, partition: str, lake_frame: LakeFrame, fmt: str = "csv", latest: bool = False
) -> Manifest:
    """Write partition ``partition`` of ``dataset`` (and the latest copy if asked); the one write path."""
    data = serialize_frame(lake_frame.frame, fmt)
    manifest = write_data_file(
        partition_file(zone, dataset, partition, fmt), data, dataset=dataset, partition=partition,
        record_count=len(lake_frame.frame), fmt=fmt, source=lake_frame.source,
        columns=[str(c) for c in lake_frame.frame.columns],
    )
    if latest:
        write_latest_if_newer(zone, dataset, data, manifest)
    return manifest


class RawZoneFrameIOManager(ConfigurableIOManager):
    recomart: ResourceDependency[RecomartResource]

    def _layout(self, context: OutputContext | InputContext) -> tuple[str, str, bool]:
        meta = context.definition_metadata or {}
        return meta["recomart/dataset"], meta.get("recomart/format", "csv"), bool(meta.get("recomart/latest"))

    def handle_output(self, context: OutputContext, obj: LakeFrame | pd.DataFrame) -> None:
        if isinstance(obj, LakeFrame):
            lake_frame = obj
        else:  # a bare (typed) DataFrame: the lineage comes as the Output's "source" metadata
            source = (context.output_metadata or {}).get("source")
            lake_frame = LakeFrame(obj, source.value if source is not None else {})
        dataset, fmt, latest = self._layout(context)
        zone = self.recomart.zone()
        path = partition_file(zone, dataset, context.partition_key, fmt)
        manifest = store_frame(zone, dataset, context.partition_key, lake_frame, fmt, latest)
        context.add_output_metadata(
            {
                "dagster/row_count": manifest.record_count,
                "dagster/column_schema": TableSchema(
                    columns=[TableColumn(str(c), str(t)) for c, t in lake_frame.frame.dtypes.items()]
                ),
                "path": MetadataValue.path(str(path)),
                "md5": manifest.md5,
                "bytes": manifest.bytes,
                "source": MetadataValue.json(dict(manifest.source)),
            }
        )

    def load_input(self, context: InputContext) -> pd.DataFrame:
        dataset, fmt, _ = self._layout(context.upstream_output)
        path = partition_file(self.recomart.zone(), dataset, context.asset_partition_key, fmt)
        return deserialize_frame(read_verified_bytes(path), fmt)
