"""The metadata pull job and its daily schedule."""

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, define_asset_job, schedule

from recomart_assets.defs.external_metadata.assets import external_metadata

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

