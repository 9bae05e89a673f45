"""Ingestions are logged in one format, to the console and the raw zone's ingestion log; every record
is bounded in size."""

import logging

import pytest

from recomart_assets.config import Settings
from recomart_assets.logs import MAX_MESSAGE_CHARS, get_logger, ingestion_run
from recomart_assets.platform.logging_setup import configure_logging


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
