"""The ``external_metadata`` asset: one pull of the third-party metadata API per day, and its schedule.

Partition ``D`` asks the API for the values ``as_of=D`` (so a backfill re-pulls a past day) through
the same implementation as ``recomart pull-metadata``; the raw-zone IO manager writes the snapshot
``external_metadata/D/`` and refreshes ``external_metadata.csv`` unless that holds a newer day.
When the API cannot be read the step fails with the URL, the error and the attempts made, and
nothing is written. Retry budget and timeouts are run config (:class:`MetadataPullConfig`).
"""

from dagster import (
    AssetExecutionContext,
    Config,
    DefaultScheduleStatus,
    Definitions,
    Failure,
    RunRequest,
    ScheduleEvaluationContext,
    asset,
    define_asset_job,
    schedule,
)

from recomart_assets.lake.io_manager import LakeFrame
from recomart_assets.logs import ingestion_run
from recomart_assets.partitions import daily_partitions
from recomart_assets.resources import RecomartResource
from recomart_assets.sources.metadata_api import DATASET, MetadataPullError, PullOptions, fetch_metadata

_defaults = PullOptions()


class MetadataPullConfig(Config):
    """Per-run overrides of :class:`PullOptions` (seconds throughout)."""

    connect_timeout: float = _defaults.connect_timeout
    read_timeout: float = _defaults.read_timeout
    page_size: int = _defaults.page_size
    attempts: int = _defaults.attempts
    wait_initial: float = _defaults.wait_initial
    wait_max: float = _defaults.wait_max
    wait_jitter: float = _defaults.wait_jitter
    max_retry_after: float = _defaults.max_retry_after

    def options(self) -> PullOptions:
        return PullOptions(**self.model_dump())


@asset(
    name=DATASET,
    description="Popularity, review sentiment and trend per product from the external metadata API.",
    partitions_def=daily_partitions,
    io_manager_key="raw_zone_io_manager",
    group_name="external",
    kinds={"csv"},
    metadata={"recomart/dataset": DATASET, "recomart/format": "csv", "recomart/latest": True},
)
def external_metadata(
    context: AssetExecutionContext, config: MetadataPullConfig, recomart: RecomartResource
) -> LakeFrame:
    settings = recomart.settings()
    with ingestion_run(DATASET, context.log, partition=context.partition_key, url=settings.metadata_api_url) as run:
        try:
            lake_frame = fetch_metadata(settings, context.partition_key, config.options())
        except MetadataPullError as exc:
            raise Failure(
                description=str(exc), metadata={"url": exc.url, "error": exc.error, "attempts": exc.attempts}
            ) from exc
        run.counts.update(
            records=len(lake_frame.frame), pages=lake_frame.source["pages"], attempts=lake_frame.source["attempts"]
        )
    return lake_frame


external_metadata_job = define_asset_job(
    "external_metadata_pull", selection=[external_metadata], description="One pull of the external metadata API."
)


@schedule(
    job=external_metadata_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
def external_metadata_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    """At 06:00 UTC, snapshot the third party's values as of that day."""
    day = context.scheduled_execution_time.date().isoformat()
    return RunRequest(run_key=day, partition_key=day)


defs = Definitions(assets=[external_metadata], jobs=[external_metadata_job], schedules=[external_metadata_schedule])
