"""Clickstream: the sealed day asset and the sensor that seals closed days."""

from dagster import Definitions

from recomart_assets.defs.clickstream.assets import clickstream
from recomart_assets.defs.clickstream.sensors import clickstream_seal_sensor, seal_job

defs = Definitions(assets=[clickstream], jobs=[seal_job], sensors=[clickstream_seal_sensor])
