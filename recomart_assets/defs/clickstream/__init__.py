"""Clickstream: the sealed day asset, its Kafka log continuity check, the sensor that seals closed days, and the CSV exports' sensor and run."""

from dagster import Definitions

from recomart_assets.defs.clickstream.assets import clickstream
from recomart_assets.defs.clickstream.checks import clickstream_log_continuity
from recomart_assets.defs.clickstream.exports import clickstream_exports_job, clickstream_exports_sensor
from recomart_assets.defs.clickstream.sensors import clickstream_seal_sensor, seal_job

defs = Definitions(
    assets=[clickstream],
    asset_checks=[clickstream_log_continuity],
    jobs=[seal_job, clickstream_exports_job],
    sensors=[clickstream_seal_sensor, clickstream_exports_sensor],
)
