"""The clickstream seal job and the sensor that requests a seal of each closed day."""

import hashlib
from datetime import timedelta

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, define_asset_job, sensor

from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.sources.clickstream_files import pending_exports
from recomart_assets.sources.clickstream_lake import DATASET, read_watermark
from recomart_assets.sources.clickstream_seal import days_to_seal

seal_job = define_asset_job("clickstream_seal", selection=[DATASET])


@sensor(job=seal_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING)
def clickstream_seal_sensor(context: SensorEvaluationContext, recomart: RecomartResource):
    """Request a seal of each day the watermark has passed, again whenever late files arrive."""
    zone = recomart.zone()
    topic = recomart.settings().clickstream_topic
    requests = [RunRequest(run_key=f"seal-{day}-{fingerprint}", partition_key=day)
                for day, fingerprint in days_to_seal(zone, topic)]
    exports = pending_exports(zone)
    watermark = read_watermark(zone, topic)
    if exports and watermark is not None and not requests:
        # Exports are landed by the seal run; their days then show up as late files on a next tick.
        day = (watermark - timedelta(days=1)).date().isoformat()
        names = hashlib.sha256("\n".join(p.name for p in exports).encode()).hexdigest()[:16]
        requests.append(RunRequest(run_key=f"exports-{names}", partition_key=day))
    return requests or SkipReason("no closed clickstream day needs sealing")

