"""Clickstream CSV exports: their sensor and their per-file run.

Exports dropped in ``landing/clickstream/`` are taken in by the same landing intake engine as
transaction files (:mod:`recomart_assets.sources.clickstream.exports`). The sensor only decides
(one run per new complete export, keyed by content sha256); the run lands the export's events in
``clickstream/D/`` beside the Kafka batches, and the seal sensor then re-seals each closed day that
gained files (late data), which materializes ``clickstream`` for it.
"""


from dagster import (
    Config,
    DefaultSensorStatus,
    OpExecutionContext,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    job,
    op,
    sensor,
)

from recomart_assets.defs.shared.landing import decide, landing_pool, landing_tags
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.lake import intake
from recomart_assets.sources.clickstream.exports import LANDING

SENSOR_INTERVAL_SECONDS = 30


class ExportFileConfig(Config):
    """Which export a run lands (``sha256`` as the sensor saw it, for the record)."""

    file_name: str
    sha256: str = ""


@op(pool=landing_pool(LANDING))
def land_clickstream_export(context: OpExecutionContext, config: ExportFileConfig, recomart: RecomartResource) -> None:
    """Land one export through the intake engine and say what became of it."""
    outcome = intake.ingest_file(LANDING, recomart.zone(), config.file_name, recomart.time_bounds())
    context.log.info(
        "%r: %s, %d events in %d day(s), %d rejected%s", config.file_name, outcome.status, outcome.records,
        len(outcome.partitions), outcome.rejected_rows, f" ({outcome.reason})" if outcome.reason else "",
    )
    note = outcome.version_note(LANDING.key_column) if outcome.status == "ingested" else None
    if note:
        (context.log.warning if outcome.repeated_ids else context.log.info)(note)


@job(description="Land one clickstream CSV export (launched by clickstream_exports_sensor).")
def clickstream_exports_job() -> None:
    """The one-op job a landed clickstream export runs in, so each file is its own run with its own tags."""
    land_clickstream_export()


def run_request(plan: intake.RunPlan) -> RunRequest:
    """The run for one planned export: keyed by the run plan so a sensor tick never lands a file twice."""
    return RunRequest(
        run_key=plan.run_key,
        run_config={"ops": {"land_clickstream_export": {"config": {"file_name": plan.name, "sha256": plan.sha256}}}},
        tags=landing_tags(plan),
    )


@sensor(
    job=clickstream_exports_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description="New complete clickstream exports in raw_zone/landing/clickstream/ -> one run each.",
)
def clickstream_exports_sensor(context: SensorEvaluationContext, recomart: RecomartResource) -> SensorResult:
    """Only decides: one run request per new complete export in the landing folder (the run does the intake)."""
    return decide(context, LANDING, recomart.zone(), run_request, "no new complete clickstream exports")
