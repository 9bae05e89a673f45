"""Settings come from the environment only; secrets never reach logs; ingestions are logged."""

import logging

import pytest

from recomart_assets.config import Settings
from recomart_assets.logs import configure_logging, get_logger, ingestion_run


def test_defaults_match_the_contract():
    settings = Settings.from_env({})
    assert settings.raw_zone == "./raw_zone"
    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092"
    assert settings.clickstream_topic == "reco_clickstream"
    assert settings.metadata_api_url == "http://127.0.0.1:8000"
    assert settings.dagster_home == "./.dagster_home"
    assert settings.uses_default_broker and settings.uses_default_metadata_api


def test_kafka_options_from_env_and_file(tmp_path):
    config = tmp_path / "client.properties"
    config.write_text("# cluster\nsecurity.protocol=SASL_SSL\nsasl.password=from-file\n")
    settings = Settings.from_env(
        {
            "KAFKA_BOOTSTRAP_SERVERS": "kafka-1:9093",
            "RECOMART_KAFKA_CONFIG": str(config),
            "KAFKA_SASL_MECHANISM": "PLAIN",
            "KAFKA_SASL_USERNAME": "svc",
            "KAFKA_SASL_PASSWORD": "s3cret-pw",
            "RECOMART_METADATA_API_TOKEN": "tok-123",
        }
    )
    assert not settings.uses_default_broker
    client = settings.kafka_config(**{"group.id": "g"})
    assert client["sasl.password"] == "s3cret-pw"
    assert client["security.protocol"] == "SASL_SSL"
    assert client["group.id"] == "g"
    shown = f"{settings!r} {settings} {settings.describe()}"
    assert "s3cret-pw" not in shown and "tok-123" not in shown and "from-file" not in shown
    assert settings.metadata_api_token.reveal() == "tok-123"


def test_bad_kafka_config_file_is_a_clear_error(tmp_path):
    config = tmp_path / "client.properties"
    config.write_text("security.protocol\n")
    with pytest.raises(ValueError, match="expected key=value"):
        Settings.from_env({"RECOMART_KAFKA_CONFIG": str(config)})


def test_ingestion_log_records_start_success_and_failure(zone):
    settings = Settings.from_env({"RECOMART_RAW_ZONE": str(zone.root)})
    configure_logging(settings, console=False)
    with ingestion_run("unit", source="a.csv") as run:
        run.counts["records"] = 12
        run.files.append("x.csv")
    with pytest.raises(ValueError):
        with ingestion_run("unit", source="b.csv"):
            raise ValueError("header mismatch")
    for handler in logging.getLogger("recomart").handlers:
        handler.flush()
    text = (zone.logs_dir / "ingestion.log").read_text()
    assert "ingestion start: unit source=a.csv" in text
    assert "ingestion success: unit source=a.csv records=12 files=1" in text
    assert "ingestion failure: unit source=b.csv" in text and "ValueError: header mismatch" in text
    get_logger("unit").info("still one configuration")
