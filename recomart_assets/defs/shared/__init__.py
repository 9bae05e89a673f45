"""What every area shares: the settings resource, the raw-zone IO manager, the executor, the automation sensor."""

from dagster import Definitions, in_process_executor

from recomart_assets.config import Settings
from recomart_assets.defs.shared.automation import automation_sensor
from recomart_assets.defs.shared.io_manager import RawZoneFrameIOManager
from recomart_assets.defs.shared.resources import RecomartResource


def run_resources(recomart: RecomartResource) -> dict[str, object]:
    """The resources every run needs, all bound to ``recomart`` (the code location's, or one that a
    caller such as ``recomart demo`` builds for its own settings and passes to ``execute_in_process``)."""
    return {"recomart": recomart, "raw_zone_io_manager": RawZoneFrameIOManager(recomart=recomart)}


# Built once when the definitions load, so the UI shows the effective settings (secrets masked).
defs = Definitions(
    resources=run_resources(RecomartResource.from_settings(Settings.from_env())),
    # Runs here are small and start-up dominates: the in-process executor avoids a subprocess
    # and a re-import per step (see README, "Executors").
    executor=in_process_executor,
    sensors=[automation_sensor],
)
