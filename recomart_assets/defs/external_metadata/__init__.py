"""External metadata: the daily API pull asset and its schedule."""

from dagster import Definitions

from recomart_assets.defs.external_metadata.assets import external_metadata
from recomart_assets.defs.external_metadata.schedules import external_metadata_job, external_metadata_schedule

defs = Definitions(assets=[external_metadata], jobs=[external_metadata_job], schedules=[external_metadata_schedule])
