"""The daily ``clickstream`` asset: materializing day D seals it (see :mod:`~recomart_assets.sources.clickstream.seal`)."""

from dagster import AssetExecutionContext, Config, Failure, MaterializeResult, MetadataValue, asset

from recomart_assets.datasets import CLICKSTREAM
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.defs.shared.specs import asset_args
from recomart_assets.lake.readers import CorruptFileError
from recomart_assets.logs import ingestion_run
from recomart_assets.sources.clickstream.batches import DATASET
from recomart_assets.sources.clickstream.seal import SEAL_FILE, PartitionNotClosed, seal_partition


class SealConfig(Config):
    """Run config of a seal: ``force`` seals a day whose watermark has not passed it yet (a backfill of a quiet day)."""

    force: bool = False  # seal even though the watermark has not passed the day (e.g. a backfill)


@asset(**asset_args(CLICKSTREAM))
def clickstream(context: AssetExecutionContext, config: SealConfig, recomart: RecomartResource) -> MaterializeResult:
    """Seal one day of the consumer's batches: the partition manifest lists every batch file, so the day is complete and checkable."""
    settings = recomart.settings()
    zone = recomart.zone()
    day = context.partition_key
    with ingestion_run("clickstream-seal", context.log, partition=day) as run:
        try:
            seal = seal_partition(zone, settings.clickstream_topic, day, force=config.force)
        except (PartitionNotClosed, CorruptFileError) as exc:
            raise Failure(str(exc)) from exc
        run.counts.update(events=seal["events"], duplicates=seal["duplicate_event_ids"],
                          quarantined=seal["quarantined"], late_events=seal["late_events"])
    return MaterializeResult(metadata={
        "dagster/row_count": seal["events"],
        "duplicate_event_ids": seal["duplicate_event_ids"],
        "quarantined": seal["quarantined"],
        "late_events": seal["late_events"],
        "seal_count": seal["seal_count"],
        "watermark": seal["watermark"] or "none",
        "files": len(seal["files"]),
        "events_per_type": MetadataValue.json(seal["events_per_type"]),
        "events_per_hour": MetadataValue.json(seal["events_per_hour"]),
        "partition_manifest": MetadataValue.path(str(zone.partition_dir(DATASET, day) / SEAL_FILE)),
    })

