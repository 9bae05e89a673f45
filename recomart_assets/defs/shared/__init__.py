"""What every area shares: the settings resource, the raw-zone IO manager, the executor, the automation sensor."""

from dagster import Definitions, in_process_executor

from recomart_assets.config import Settings
from recomart_assets.defs.shared.automation import automation_sensor
from recomart_assets.defs.shared.io_manager import RawZoneFrameIOManager
from recomart_assets.defs.shared.resources import RecomartResource

# Built once when the definitions load, so the UI shows the effective settings (secrets masked).
_recomart = RecomartResource.from_settings(Settings.from_env())

defs = Definitions(
    resources={"recomart": _recomart, "raw_zone_io_manager": RawZoneFrameIOManager(recomart=_recomart)},
    # Runs here are small and start-up dominates: the in-process executor avoids a subprocess
    # and a re-import per step (see README, "Executors").
    executor=in_process_executor,
    sensors=[automation_sensor],
)
