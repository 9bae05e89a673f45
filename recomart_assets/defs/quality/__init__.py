"""Quality: the partitioned asset checks and the daily data quality report."""

from dagster import Definitions

from recomart_assets.defs.quality.checks import quality_checks
from recomart_assets.defs.quality.report import data_quality_report

defs = Definitions(assets=[data_quality_report], asset_checks=quality_checks)
