"""Data quality: pandera schemas per dataset, engines that run them, check results, metric states,
profiles and the quality report."""

from recomart_assets.quality.engines.outcome import Outcome
from recomart_assets.quality.engines.pandas_checks import validate_frame
from recomart_assets.quality.report.build import WrittenReport, write_quality_report
from recomart_assets.quality.results import build_results, history
from recomart_assets.quality.rules.checks import CheckResult, DatasetValidation
from recomart_assets.quality.rules.schemas import References, schema_for
from recomart_assets.quality.states import MetricState, read_state, read_states, write_state
from recomart_assets.quality.validation import DEFAULT_ENGINE, current, validate

__all__ = [
    "DEFAULT_ENGINE",
    "CheckResult",
    "DatasetValidation",
    "MetricState",
    "Outcome",
    "References",
    "WrittenReport",
    "build_results",
    "current",
    "history",
    "read_state",
    "read_states",
    "schema_for",
    "validate",
    "validate_frame",
    "write_quality_report",
    "write_state",
]
