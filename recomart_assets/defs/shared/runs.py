"""What every run gets: the resources bound to one :class:`RecomartResource`, and the executor.

Built when the code location loads (:func:`shared_definitions`), never at import, so the UI shows
the effective settings (secrets masked) and one bad variable does not stop the location loading.
"""

from dagster import Definitions, definitions, in_process_executor

from recomart_assets.defs.shared.io_manager import RawZoneFrameIOManager
from recomart_assets.defs.shared.resources import RecomartResource, settings_at_load


def run_resources(recomart: RecomartResource) -> dict[str, object]:
    """The resources every run needs, all bound to ``recomart`` (the code location's, or one that a
    caller such as ``recomart demo`` builds for its own settings and passes to ``execute_in_process``)."""
    return {"recomart": recomart, "raw_zone_io_manager": RawZoneFrameIOManager(recomart=recomart)}


@definitions
def shared_definitions() -> Definitions:
    """The code location's resources (showing the settings read at load) and its executor."""
    return Definitions(
        resources=run_resources(RecomartResource.from_settings(settings_at_load())),
        # Runs here are small and start-up dominates: the in-process executor avoids a subprocess
        # and a re-import per step (see README, "Executors").
        executor=in_process_executor,
    )
