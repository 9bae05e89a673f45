"""The Dagster resource that hands assets their settings and raw zone.

Every field is an optional override of the environment-derived :class:`Settings`, so runs launched
from the UI use the environment while tests point a run at a temporary raw zone or a fixture's
broker and API server.
"""

from dataclasses import replace

from dagster import ConfigurableResource

from recomart_assets.config import Settings
from recomart_assets.lake.zone import RawZone


class RecomartResource(ConfigurableResource):
    raw_zone: str | None = None
    kafka_bootstrap_servers: str | None = None
    metadata_api_url: str | None = None
    master_exports_dir: str | None = None

    def settings(self) -> Settings:
        overrides = {
            name: value
            for name in ("raw_zone", "kafka_bootstrap_servers", "metadata_api_url", "master_exports_dir")
            if (value := getattr(self, name)) is not None
        }
        return replace(Settings.from_env(), **overrides)

    def zone(self) -> RawZone:
        return RawZone.from_settings(self.settings())
