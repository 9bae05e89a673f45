"""The decision every landing-zone sensor makes: which complete files get a run, and the new cursor.

Sensors only decide (:func:`recomart_assets.lake.intake.plan_runs` writes nothing); the runs they
request do every move, refusal and set-aside. A source's sensor supplies how a plan becomes a run
request (its job's run config).

Each source's landing runs also share a Dagster concurrency pool (:func:`landing_pool`,
``landing_transactions``, ``landing_clickstream``): with the pool's limit at 1 (the instance that
``recomart dev``/``demo`` create sets ``concurrency: pools: {granularity: run, default_limit: 1}``)
the second landing run of a source waits in Dagster's run queue, visibly, instead of inside the
intake lock, on any storage.
"""

import json
from collections.abc import Callable

from dagster import RunRequest, SensorEvaluationContext, SensorResult, SkipReason

from recomart_assets.lake import RawZone, intake


def landing_pool(source: intake.LandingSource) -> str:
    """The concurrency pool of ``source``'s landing runs: one at a time per source (limit 1)."""
    return f"landing_{source.name}"


def landing_tags(plan: intake.RunPlan) -> dict[str, str]:
    """Run tags naming the landing file (made safe to show) and its content hash, to find a file's run in the UI."""
    return {"recomart/landing_file": intake.safe_name(plan.name), "recomart/sha256": plan.sha256}


def decide(
    context: SensorEvaluationContext,
    source: intake.LandingSource,
    zone: RawZone,
    run_request: Callable[[intake.RunPlan], RunRequest],
    nothing: str,
) -> SensorResult:
    """Run requests for the new complete files of ``source``'s landing folder, with the cursor."""
    known = json.loads(context.cursor) if context.cursor else {}
    plans, known = intake.plan_runs(source, zone, known)
    cursor = json.dumps(known, sort_keys=True)
    if not plans:
        return SensorResult(skip_reason=SkipReason(nothing), cursor=cursor)
    return SensorResult(run_requests=[run_request(plan) for plan in plans], cursor=cursor)
