"""Ingestions are logged in one format, to the console and the raw zone's ingestion log; a message
logged inside a Dagster run is printed once (by Dagster's console logger) and still reaches the file."""

import logging
import warnings

import pytest
import yaml
from dagster import DagsterInstance, job, op

from recomart_assets.cli.logging_setup import configure_logging
from recomart_assets.config import Settings
from recomart_assets.logs import MAX_MESSAGE_CHARS, get_logger, ingestion_run
from recomart_assets.platform.instance import DEFAULT_INSTANCE_YAML


def read_log(zone) -> str:
    for handler in logging.getLogger("recomart").handlers:
        handler.flush()
    return (zone.logs_dir / "ingestion.log").read_text()


def test_ingestion_log_records_start_success_and_failure(zone):
    settings = Settings.from_env({"RECOMART_RAW_ZONE": str(zone.root)})
    configure_logging(settings, console=False)
    with ingestion_run("unit", source="a.csv") as run:
        run.counts["records"] = 12
        run.files.append("x.csv")
    with pytest.raises(ValueError):
        with ingestion_run("unit", source="b.csv"):
            raise ValueError("header mismatch")
    text = read_log(zone)
    assert "ingestion start: unit source=a.csv" in text
    assert "ingestion success: unit source=a.csv records=12 files=1" in text
    assert "ingestion failure: unit source=b.csv" in text and "ValueError: header mismatch" in text
    get_logger("unit").info("still one configuration")


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


def test_a_huge_message_and_traceback_are_logged_bounded(zone, capfd):
    configure_logging(Settings.from_env({"RECOMART_RAW_ZONE": str(zone.root)}))
    log = get_logger("bounded")
    log.warning("a reason quoting data: %s", "x" * 5_000_000)
    try:
        raise ValueError("y" * 5_000_000)
    except ValueError:
        log.exception("failed")
    err = capfd.readouterr().err
    warning, failure = err.split("failed", 1)
    assert "(5000023 characters)" in warning and "characters)" in failure
    assert len(err) < 3 * MAX_MESSAGE_CHARS
    assert len(read_log(zone)) < 3 * MAX_MESSAGE_CHARS
