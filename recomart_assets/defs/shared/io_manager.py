"""IO manager for daily-partitioned DataFrame assets stored as CSV or JSON Lines in the raw zone.

A thin adapter over :mod:`recomart_assets.lake.frames`. An asset declares where its data goes with
definition metadata (derived from its dataset spec): ``recomart/dataset``, optionally ``recomart/format``
(``csv``, the default, or ``jsonl``) and ``recomart/latest`` (True to also refresh the flat
"latest" file). It returns a :class:`LakeFrame` (the frame plus its lineage), or a DataFrame in an ``Output`` whose
``source`` metadata is the lineage.
"""

import pandas as pd
from dagster import (
    ConfigurableIOManager,
    InputContext,
    MetadataValue,
    OutputContext,
    ResourceDependency,
)

from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.lake.frames import LakeFrame, deserialize_frame, frame_writer, partition_file, store_frame
from recomart_assets.lake.lineage import parse_lineage
from recomart_assets.lake.readers import read_verified_bytes


class RawZoneFrameIOManager(ConfigurableIOManager):
    """Stores asset frames as raw-zone files with manifests (and reads them back verified), so assets never write files themselves."""

    recomart: ResourceDependency[RecomartResource]

    def _layout(self, context: OutputContext | InputContext) -> tuple[str, str, bool]:
        meta = context.definition_metadata or {}
        return meta["recomart/dataset"], meta.get("recomart/format", "csv"), bool(meta.get("recomart/latest"))

    def handle_output(self, context: OutputContext, obj: LakeFrame | pd.DataFrame) -> None:
        """Writes the frame atomically with its manifest and lineage, and reports row count, schema and checksum."""
        if isinstance(obj, LakeFrame):
            lake_frame = obj
        else:  # a bare (typed) DataFrame: the lineage comes as the Output's "source" metadata
            source = (context.output_metadata or {}).get("source")
            lake_frame = LakeFrame(obj, parse_lineage(source.value if source is not None else {}))
        dataset, fmt, latest = self._layout(context)
        zone = self.recomart.zone()
        path = partition_file(zone, dataset, context.partition_key, fmt)
        with frame_writer(zone, dataset, context.partition_key):
            manifest = store_frame(zone, dataset, context.partition_key, lake_frame, fmt, latest)
        context.add_output_metadata(
            {
                "dagster/row_count": manifest.record_count,
                "path": MetadataValue.path(str(path)),
                "md5": manifest.md5,
                "bytes": manifest.bytes,
                "source": MetadataValue.json(manifest.source.to_source()),
            }
        )

    def load_input(self, context: InputContext) -> pd.DataFrame:
        """The upstream partition's frame, read only after its bytes match their manifest."""
        dataset, fmt, _ = self._layout(context.upstream_output)
        path = partition_file(self.recomart.zone(), dataset, context.asset_partition_key, fmt)
        return deserialize_frame(read_verified_bytes(path), fmt)
