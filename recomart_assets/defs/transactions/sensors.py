"""The landing-zone sensor: new complete files in ``landing/`` -> one landing run each.

The sensor only decides (:func:`recomart_assets.lake.intake.plan_runs`): every move, refusal and
duplicate set-aside happens in the run it requests, so a preview tick changes nothing.
"""

from typing import Any

from dagster import (
    DagsterInstance,
    DefaultSensorStatus,
    Definitions,
    JobDefinition,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from recomart_assets.defs.shared.landing import decide, landing_tags
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.defs.transactions.assets import TRANSACTIONS, transactions
from recomart_assets.defs.transactions.jobs import LANDING_JOB, landing_run_config, transactions_landing_job
from recomart_assets.lake import intake
from recomart_assets.sources.transactions import LANDING

SENSOR_INTERVAL_SECONDS = 15


def run_request(plan: intake.RunPlan) -> RunRequest:
    """The landing run of one planned file, keyed by its content hash so a file is taken once."""
    return RunRequest(
        run_key=plan.run_key,
        run_config=landing_run_config(plan.name, plan.sha256),
        tags=landing_tags(plan),
    )


@sensor(
    job=transactions_landing_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description="New complete files in raw_zone/landing/ -> one landing run each, keyed by content sha256.",
)
def transactions_landing_sensor(context: SensorEvaluationContext, recomart: RecomartResource) -> SensorResult:
    """Only decides: one landing run per new complete file in the landing folder (the run does the intake)."""
    return decide(context, LANDING, recomart.zone(), run_request, "no new complete landing files")


def landing_job(recomart: RecomartResource) -> JobDefinition:
    """``transactions_landing_job`` resolved on its own with ``recomart``, to execute in this process."""
    definitions = Definitions(assets=[transactions], jobs=[transactions_landing_job], resources={"recomart": recomart})
    return definitions.resolve_job_def(LANDING_JOB)


def ingest_landing_once(
    instance: DagsterInstance,
    recomart: RecomartResource,
    settle_seconds: float = 0.0,
    extra_run_config: dict[str, Any] | None = None,
) -> dict[str, dict[str, int]]:
    """One sensor decision and its runs, in this process (for ``recomart demo`` and scripts).

    The same path as ``recomart dev``'s sensor and runs, so the partitions are recorded as
    materialized in ``instance``. Returns records per day for each file a run ingested.
    ``extra_run_config`` is merged into each run's config (e.g. a quieter console logger).
    """
    plans, _ = intake.plan_runs(LANDING, recomart.zone(), {}, settle_seconds)
    job = landing_job(recomart)
    ingested: dict[str, dict[str, int]] = {}
    for plan in plans:
        request = run_request(plan)
        result = job.execute_in_process(
            run_config={**(extra_run_config or {}), **request.run_config},
            instance=instance,
            tags=request.tags,
        )
        events = [e for e in result.get_asset_materialization_events() if e.asset_key == TRANSACTIONS]
        ingested[plan.name] = {
            e.materialization.partition: e.materialization.metadata["records_from_file"].value for e in events
        }
    return ingested
