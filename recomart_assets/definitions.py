"""The Dagster code location: every area's definitions merged, plus shared resources.

Each area (master data, clickstream, external metadata, transactions, quality) exposes its own
``defs`` (assets, checks, sensors, schedules); this module only merges them and adds what they
share: the ``recomart`` settings resource, the raw-zone IO manager and the executor.
"""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from recomart_assets import automation
from recomart_assets.assets import clickstream, external_metadata, master_data, quality_report, transactions
from recomart_assets.lake.io_manager import RawZoneFrameIOManager
from recomart_assets.logs import configure_logging
from recomart_assets.resources import RecomartResource
from recomart_assets.settings import Settings

configure_logging(Settings.from_env(), console=False)

_recomart = RecomartResource()

defs = Definitions.merge(
    Definitions(
        resources={"recomart": _recomart, "raw_zone_io_manager": RawZoneFrameIOManager(recomart=_recomart)},
        # Runs here are small and start-up dominates: the in-process executor avoids a subprocess
        # and a re-import per step (see README, "Executors").
        executor=in_process_executor,
    ),
    automation.defs,
    master_data.defs,
    clickstream.defs,
    external_metadata.defs,
    transactions.defs,
    quality_report.defs,
)
