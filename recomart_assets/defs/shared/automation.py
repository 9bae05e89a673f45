"""The whole-platform daily job and its schedule.

``recomart_daily`` materializes every asset of one day with its checks (ingestion, sealing, the
quality report); the schedule runs it shortly after midnight UTC for the day that just ended.
Area-specific automation (the landing-zone sensor, the clickstream seal sensor, the metadata
pull schedule) lives with its assets.
"""

from datetime import timedelta

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

daily_job = define_asset_job(
    "recomart_daily",
    selection=AssetSelection.all(),
    description="Every raw dataset, its checks and the quality report for one day.",
)


@schedule(
    job=daily_job,
    cron_schedule="15 1 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
def recomart_daily_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    """At 01:15 UTC, process the day that just ended (its clickstream watermark has passed)."""
    day = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
    return RunRequest(run_key=day, partition_key=day)

