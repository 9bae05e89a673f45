"""The clickstream consumer in the UI: lag, watermark and rate as observations, and a health check.

``recomart consume`` runs outside Dagster; every member writes its progress under the raw zone's
state (:mod:`~recomart_assets.sources.clickstream.progress`). ``clickstream_consumer_health_sensor``
reads those files every ~10 s, judges them (:func:`~recomart_assets.sources.clickstream.health.judge_health`,
with ``RECOMART_CONSUMER_STALL_SECONDS``) and reports on the ``clickstream`` asset:

* an ``AssetObservation`` whose numeric metadata (``consumer_lag``, ``high_watermark_total``,
  ``events_per_second``, ``quarantined_total``, ``consumers``) Dagster plots over time;
* an evaluation of the asset check ``clickstream_consumer_health`` (severity WARN): passing when
  healthy, warning when stalled or absent, its description saying which and why.

To keep the event log small, an observation is recorded when a figure changed or a minute has
passed, and a check evaluation when the state or its description changed or five minutes have
passed (the cursor remembers what was last reported). The check can also be executed from the UI:
it judges the same files the same way.
"""

import json
from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetObservation,
    DefaultSensorStatus,
    MetadataValue,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    multi_asset_check,
    sensor,
)

from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.sources.clickstream.batches import DATASET
from recomart_assets.sources.clickstream.health import ConsumerHealth, judge_health
from recomart_assets.sources.clickstream.progress import read_progress

HEALTH_CHECK = "clickstream_consumer_health"
SENSOR_INTERVAL = 10  # seconds between ticks
OBSERVE_EVERY = 60.0  # seconds: an unchanged observation is repeated this often (a point on the plot)
CHECK_EVERY = 300.0  # seconds: an unchanged check evaluation is repeated this often


def consumer_health(recomart: RecomartResource, now: datetime | None = None) -> ConsumerHealth:
    """The group's health now, from the members' progress files in the resource's raw zone."""
    settings = recomart.settings()
    records = read_progress(recomart.zone(), settings.clickstream_topic)
    return judge_health(records, now or datetime.now(UTC), settings.consumer_stall_seconds)


def _check_metadata(health: ConsumerHealth) -> dict[str, Any]:
    return {"state": str(health.state), **health.metrics(),
            "partitions": MetadataValue.json([{"partition": p.partition, "committed_offset": p.committed_offset,
                                               "high_watermark": p.high_watermark, "lag": p.lag}
                                              for p in health.partitions])}


def check_evaluation(health: ConsumerHealth) -> AssetCheckEvaluation:
    """The check's evaluation for ``health`` (passed only when healthy; WARN otherwise)."""
    return AssetCheckEvaluation(
        asset_key=AssetKey(DATASET), check_name=HEALTH_CHECK, passed=health.healthy,
        severity=AssetCheckSeverity.WARN, description=f"{health.state}: {health.description}",
        metadata=_check_metadata(health),
    )


def observation(health: ConsumerHealth) -> AssetObservation:
    """The ``clickstream`` asset's observation: plottable numbers plus the state as text."""
    return AssetObservation(asset_key=AssetKey(DATASET), description=health.console_line(),
                            metadata={**health.metrics(), "consumer_state": str(health.state)})


@sensor(name="clickstream_consumer_health_sensor", minimum_interval_seconds=SENSOR_INTERVAL,
        default_status=DefaultSensorStatus.RUNNING, asset_selection=[DATASET])
def clickstream_consumer_health_sensor(context: SensorEvaluationContext, recomart: RecomartResource):
    """Report the consumer's lag, watermark and rate on ``clickstream`` and evaluate its health check."""
    health = consumer_health(recomart)
    now = datetime.now(UTC).timestamp()
    last = json.loads(context.cursor) if context.cursor else {}
    metrics = health.metrics()
    verdict = [str(health.state), health.description if not health.healthy else ""]
    events: list[AssetObservation | AssetCheckEvaluation] = []
    cursor = dict(last)
    if metrics != last.get("metrics") or now - last.get("observed_at", 0) >= OBSERVE_EVERY:
        events.append(observation(health))
        cursor.update(metrics=metrics, observed_at=now)
    if verdict != last.get("verdict") or now - last.get("checked_at", 0) >= CHECK_EVERY:
        events.append(check_evaluation(health))
        cursor.update(verdict=verdict, checked_at=now)
    if not events:
        return SensorResult(skip_reason=SkipReason(f"unchanged: {health.console_line()}"), cursor=json.dumps(cursor))
    return SensorResult(asset_events=events, cursor=json.dumps(cursor))


@multi_asset_check(
    name="clickstream_consumer_health_now",
    specs=[AssetCheckSpec(HEALTH_CHECK, asset=AssetKey(DATASET),
                          description="The clickstream consumer reports and keeps up: it has not gone without"
                                      " progress while lagging, nor without reporting, for longer than"
                                      " RECOMART_CONSUMER_STALL_SECONDS (evaluated by"
                                      " clickstream_consumer_health_sensor).")],
    description="Judges the clickstream consumer's progress files now (the sensor reports the same judgement).",
)
def clickstream_consumer_health(context: AssetCheckExecutionContext, recomart: RecomartResource):
    """Judges the consumer's progress files on demand (Execute in the UI), with the judgement the sensor reports."""
    health = consumer_health(recomart)
    yield AssetCheckResult(
        check_name=HEALTH_CHECK, asset_key=AssetKey(DATASET), passed=health.healthy,
        severity=AssetCheckSeverity.WARN, description=f"{health.state}: {health.description}",
        metadata=_check_metadata(health),
    )
