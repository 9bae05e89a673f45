"""The per-file landing run: ingest one transaction file and report the partitions it touched."""

from dagster import AssetMaterialization, Config, MetadataValue, OpExecutionContext, job, op

from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.defs.transactions.assets import TRANSACTIONS, partition_summary
from recomart_assets.sources import landing


class LandingFileConfig(Config):
    """Which landing file a run ingests (``sha256`` as seen by the sensor, for the record)."""

    file_name: str
    sha256: str = ""


@op
def ingest_landing_file(context: OpExecutionContext, config: LandingFileConfig, recomart: RecomartResource) -> None:
    """Ingest one landing file, then report each transactions partition it touched."""
    zone = recomart.zone()
    outcome = landing.ingest_file(zone, config.file_name)
    if outcome.status == "missing" and config.sha256:
        entry = landing.ledger_entry(zone, config.sha256)
        if entry is not None:  # ingested meanwhile by another pass: report what that pass did
            outcome = landing.FileOutcome(config.file_name, "ingested", config.sha256, dict(entry["partitions"]),
                                          entry["rejected_rows"], stored_as=entry["target"])
    if config.sha256 and outcome.sha256 and outcome.sha256 != config.sha256:
        context.log.warning("%s changed since the sensor saw it (sha256 %s, now %s)", config.file_name,
                            config.sha256[:16], outcome.sha256[:16])
    context.log.info(
        "%s: %s, %d records in %d partition(s), %d rejected%s", config.file_name, outcome.status, outcome.records,
        len(outcome.partitions), outcome.rejected_rows, f" ({outcome.reason})" if outcome.reason else "",
    )
    if outcome.status != "ingested":
        return
    for day, records in sorted(outcome.partitions.items()):
        summary = partition_summary(zone, day)
        context.log_event(
            AssetMaterialization(
                asset_key=TRANSACTIONS,
                partition=day,
                metadata={
                    "dagster/row_count": summary["records"],
                    "landing_file": config.file_name,
                    "sha256": outcome.sha256 or "",
                    "records_from_file": records,
                    "archived_as": outcome.stored_as or "",
                    "files": MetadataValue.json(summary["files"]),
                },
            )
        )


@job(description="Ingest one landing-zone transaction file (launched by transactions_landing_sensor).")
def transactions_landing_job() -> None:
    ingest_landing_file()
