"""The ``clickstream`` asset's check on the Kafka log's continuity.

The consumer records every rewind or gap it finds between the raw zone and the Kafka log (a topic
deleted and created again, a broker that lost its log, messages deleted before the lake got them)
in ``_state/clickstream/<topic>/`` (:func:`~recomart_assets.sources.clickstream.batches.record_incident`).
The check of day D fails when one was found that day, with its numbers, whether the consumer
stopped there or was told to read the partition again from the log's start: either way the day's
data may miss or repeat what the old log held, and that must show.
"""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from recomart_assets.defs.shared.automation import check_after_update
from recomart_assets.defs.shared.partitions import daily_partitions
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.sources.clickstream.batches import DATASET, read_incidents

CONTINUITY_CHECK = "kafka_log_continuity"
SHOWN = 5  # incidents listed in the check's metadata (the rest are counted)


@multi_asset_check(
    name="clickstream_log_continuity",
    specs=[AssetCheckSpec(CONTINUITY_CHECK, asset=AssetKey(DATASET), partitions_def=daily_partitions,
                          automation_condition=check_after_update(),
                          description="No Kafka rewind or gap (recreated topic, lost log) was found this day.")],
    description="Rewinds and gaps of the clickstream topic's log the consumer recorded.",
)
def clickstream_log_continuity(context: AssetCheckExecutionContext, recomart: RecomartResource):
    """Fails the day on which the consumer recorded a rewind or a gap of the topic's log (records may be missing)."""
    day = context.partition_key
    found = [i for i in read_incidents(recomart.zone(), recomart.settings().clickstream_topic)
             if i["detected_at"][:10] == day]
    yield AssetCheckResult(
        check_name=CONTINUITY_CHECK, asset_key=AssetKey(DATASET), passed=not found, severity=AssetCheckSeverity.ERROR,
        description=(f"{len(found)} rewind(s) or gap(s) of the Kafka log found on {day}" if found
                     else f"the Kafka log continued the raw zone's on {day}"),
        metadata={"incidents": len(found), "latest": MetadataValue.json(found[-SHOWN:])},
    )
