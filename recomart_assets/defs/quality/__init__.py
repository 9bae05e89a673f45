"""Quality: the partitioned asset checks, what changed (anomalies, drift), freshness, and the daily report.

Settings are read once here, when the definitions load: whether the change and freshness checks
block, and the freshness deadlines, shape the check definitions themselves.
"""

from dagster import Definitions

from recomart_assets.config import Settings
from recomart_assets.defs.quality.anomaly_checks import build_change_checks
from recomart_assets.defs.quality.checks import quality_checks
from recomart_assets.defs.quality.freshness import build_freshness_checks, build_freshness_sensor
from recomart_assets.defs.quality.report import data_quality_report

_settings = Settings.from_env()
_freshness_checks = build_freshness_checks(_settings)

defs = Definitions(
    assets=[data_quality_report],
    asset_checks=[*quality_checks, *build_change_checks(_settings), *_freshness_checks],
    sensors=[build_freshness_sensor(_freshness_checks)],
)
