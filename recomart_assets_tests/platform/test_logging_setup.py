"""The entry points' logging set-up: a message logged inside a Dagster run is printed once (by
Dagster's console logger) and still reaches the raw zone's ingestion log; Dagster's notices about
our own definitions are not printed."""

import logging
import warnings

import yaml
from dagster import DagsterInstance, job, op

from recomart_assets.config import Settings
from recomart_assets.logs import get_logger
from recomart_assets.platform.instance import DEFAULT_INSTANCE_YAML
from recomart_assets.platform.logging_setup import configure_logging


def read_log(zone) -> str:
    for handler in logging.getLogger("recomart").handlers:
        handler.flush()
    return (zone.logs_dir / "ingestion.log").read_text()


@op
def warns() -> None:
    get_logger("unit").warning("disk nearly full")


@job
def warning_job():
    warns()


def test_a_warning_in_a_dagster_run_is_printed_once(zone, capfd):
    configure_logging(Settings.from_env({"RECOMART_RAW_ZONE": str(zone.root)}))
    # The instance's python_logs as `recomart demo` and `recomart dev` get them (platform/instance.py).
    instance = DagsterInstance.ephemeral(settings={"python_logs": yaml.safe_load(DEFAULT_INSTANCE_YAML)["python_logs"]})
    result = warning_job.execute_in_process(
        instance=instance, run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    )
    assert result.success
    get_logger("unit").warning("outside any run")
    err = capfd.readouterr().err
    assert err.count("disk nearly full") == 1, err
    assert err.count("outside any run") == 1, err
    captured = [entry.user_message for entry in instance.all_logs(result.run_id) if entry.level == logging.WARNING]
    assert any("disk nearly full" in message for message in captured)
    text = read_log(zone)
    assert "WARNING recomart.unit: disk nearly full" in text and "WARNING recomart.unit: outside any run" in text


def test_dagster_notices_about_our_own_definitions_are_not_printed(zone):
    notice = "Specifying a partitions_def on an AssetCheckSpec is currently in preview, and may change."
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        configure_logging(Settings.from_env({"RECOMART_RAW_ZONE": str(zone.root)}))
        warnings.warn_explicit(notice, UserWarning, "checks.py", 85, module="recomart_assets.defs.quality.checks")
        warnings.warn_explicit(notice, UserWarning, "other.py", 1, module="another_package.module")
        warnings.warn_explicit("a real problem", UserWarning, "checks.py", 90, module="recomart_assets.defs.quality.checks")
    assert [(str(w.message), w.filename) for w in shown] == [(notice, "other.py"), ("a real problem", "checks.py")]
