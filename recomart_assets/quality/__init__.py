"""Data quality: pandera schemas per dataset, check results, profiles and the quality report."""

from recomart_assets.quality.checks import CheckResult, DatasetValidation, validate_frame
from recomart_assets.quality.report import WrittenReport, write_quality_report
from recomart_assets.quality.results import DATASETS, build_results, check_dataset, history
from recomart_assets.quality.schemas import References, schema_for

__all__ = [
    "DATASETS",
    "CheckResult",
    "DatasetValidation",
    "References",
    "WrittenReport",
    "build_results",
    "check_dataset",
    "history",
    "schema_for",
    "validate_frame",
    "write_quality_report",
]
