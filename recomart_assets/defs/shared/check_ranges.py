"""Partitioned asset checks in a run that covers a range of days (a single-run backfill).

An asset with ``BackfillPolicy.single_run()`` (``transactions``) is backfilled in one run over the
whole range, and a backfill from the UI runs the asset's checks in that run too. Dagster records an
``AssetCheckResult`` against the run's one partition, so a check that reads ``context.partition_key``
fails in a range run ("Cannot access partition_key ... with a range of partitions"). A check step
built on :func:`per_partition` evaluates each day of the range and records each day's outcome as an
``AssetCheckEvaluation`` of that partition, which is what the UI shows per day; in a one-day run it
yields the plain results, as before. A blocking check that failed on any day still stops the run's
downstream steps (Dagster raises after the step, from the evaluations).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from dagster import (
    AssetCheckEvaluation,
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSpec,
    AssetKey,
    Output,
)


def evaluation_of(result: AssetCheckResult, day: str, blocking: bool) -> AssetCheckEvaluation:
    """``result`` as the evaluation of partition ``day`` (what Dagster makes of it in a one-day run,
    without the link to the day's materialization, which a range run's results do not have)."""
    if result.asset_key is None or result.check_name is None:
        raise ValueError("a check result evaluated per partition must name its asset and check")
    return AssetCheckEvaluation(
        asset_key=AssetKey.from_coercible(result.asset_key),
        check_name=result.check_name,
        passed=result.passed,
        metadata=result.metadata,
        severity=result.severity,
        description=result.description,
        blocking=blocking,
        partition=day,
    )


def per_partition(
    context: AssetCheckExecutionContext,
    specs: Sequence[AssetCheckSpec],
    evaluate: Callable[[str], Iterable[AssetCheckResult]],
) -> Iterator[AssetCheckResult | AssetCheckEvaluation | Output]:
    """The results of ``evaluate(day)`` for the run's day, or for every day of its range as that
    day's evaluations (``specs``: the step's checks, for whether each one blocks)."""
    if not context.has_partition_key_range:
        yield from evaluate(context.partition_key)
        return
    blocking = {spec.name: spec.blocking for spec in specs}
    for day in context.partition_keys:
        for result in evaluate(day):
            yield evaluation_of(result, day, blocking.get(result.check_name or "", False))
    # The step's outputs (what downstream steps wait for), as Dagster yields them for a result.
    layer = context.op_execution_context.job_def.asset_layer
    for spec in specs:
        if spec.key in context.selected_asset_check_keys:
            yield Output(None, output_name=layer.get_op_output_name(spec.key))
