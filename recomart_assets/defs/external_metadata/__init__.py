"""External metadata: the daily API pull asset (pulled on its cron, see ``defs/shared/automation.py``)."""

from dagster import Definitions

from recomart_assets.defs.external_metadata.assets import external_metadata

defs = Definitions(assets=[external_metadata])
