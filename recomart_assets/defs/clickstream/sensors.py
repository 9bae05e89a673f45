"""The clickstream seal job and the sensor that requests a seal of each closed day."""

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, define_asset_job, sensor

from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.sources.clickstream.batches import DATASET
from recomart_assets.sources.clickstream.seal import days_to_seal

seal_job = define_asset_job("clickstream_seal", selection=[DATASET])


@sensor(job=seal_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING)
def clickstream_seal_sensor(context: SensorEvaluationContext, recomart: RecomartResource):
    """Request a seal of each day the watermark has passed, again whenever late files arrive
    (from the consumer or from a landed CSV export)."""
    zone = recomart.zone()
    topic = recomart.settings().clickstream_topic
    requests = [RunRequest(run_key=f"seal-{day}-{fingerprint}", partition_key=day)
                for day, fingerprint in days_to_seal(zone, topic)]
    return requests or SkipReason("no closed clickstream day needs sealing")
