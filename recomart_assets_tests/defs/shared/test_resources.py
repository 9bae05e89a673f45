"""The resource shows the effective settings (what the Dagster UI lists), never a secret; fields
override the environment; the settings are built once per resource."""

import json

import pytest
from dagster import AssetExecutionContext, Definitions, asset, materialize
from pydantic import ValidationError

from recomart_assets.config import ENV_VARS, Settings
from recomart_assets.defs.shared.resources import MASK, RecomartResource


def ui_values(resource: RecomartResource) -> dict:
    """The resource's configured values as the UI gets them (the config schema's defaults)."""
    resource_def = Definitions(resources={"recomart": resource}).get_repository_def().get_top_level_resources()
    return json.loads(resource_def["recomart"].config_schema.default_value_as_json_str)


def test_fields_are_the_settings_fields():
    assert set(RecomartResource.model_fields) == set(ENV_VARS)
    for name, info in RecomartResource.model_fields.items():
        assert ENV_VARS[name] in info.description


def test_the_ui_shows_effective_values_with_secrets_masked(tmp_path):
    settings = Settings.from_env({
        "RECOMART_RAW_ZONE": str(tmp_path), "KAFKA_BOOTSTRAP_SERVERS": "kafka-1:9093",
        "RECOMART_METADATA_API_TOKEN": "tok-123", "KAFKA_SASL_PASSWORD": "s3cret-pw",
        "RECOMART_CLOCK_SKEW_SECONDS": "60",
    })
    resource = RecomartResource.from_settings(settings)
    shown = ui_values(resource)
    for name, value in settings.describe().items():
        if name in ENV_VARS:
            assert shown.get(name) == value, name
    assert shown["raw_zone"] == str(tmp_path) and shown["clock_skew_seconds"] == 60.0
    assert shown["metadata_api_token"] == MASK and shown["kafka_sasl_password"] == MASK
    assert shown.get("kafka_ssl_key_password") is None  # unset secrets show as unset
    everything = f"{shown} {resource!r} {resource.model_dump()}"
    assert "tok-123" not in everything and "s3cret-pw" not in everything


def test_the_definitions_resource_shows_the_environment():
    from recomart_assets.definitions import defs

    shown = json.loads(
        defs.get_repository_def().get_top_level_resources()["recomart"].config_schema.default_value_as_json_str
    )
    assert shown == ui_values(RecomartResource.from_settings(Settings.from_env()))
    assert shown["raw_zone"] and shown["kafka_bootstrap_servers"] and shown["metadata_api_url"]


def test_fields_override_the_environment_and_settings_are_built_once(monkeypatch, tmp_path):
    monkeypatch.setenv("RECOMART_CLICKSTREAM_TOPIC", "from-env")
    monkeypatch.setenv("RECOMART_METADATA_API_TOKEN", "tok-123")
    resource = RecomartResource(
        raw_zone=str(tmp_path / "zone"), kafka_bootstrap_servers="127.0.0.1:19092",
        metadata_api_url="http://127.0.0.1:18000/", master_exports_dir=str(tmp_path / "exports"),
    )
    settings = resource.settings()
    assert settings.raw_zone == str(tmp_path / "zone") and settings.master_exports_dir == str(tmp_path / "exports")
    assert settings.kafka_bootstrap_servers == "127.0.0.1:19092"
    assert settings.metadata_api_url == "http://127.0.0.1:18000"
    assert settings.clickstream_topic == "from-env"
    assert settings.metadata_api_token.get_secret_value() == "tok-123"  # secrets come from the environment
    monkeypatch.setenv("RECOMART_CLICKSTREAM_TOPIC", "changed later")
    assert resource.settings() is settings
    assert resource.zone().root.name == "zone"


def test_run_config_overrides_a_field(tmp_path):
    seen = {}

    @asset
    def probe(context: AssetExecutionContext, recomart: RecomartResource) -> None:
        seen["settings"] = recomart.settings()

    resource = RecomartResource.from_settings(Settings.from_env({"RECOMART_RAW_ZONE": str(tmp_path / "code")}))
    result = materialize([probe], resources={"recomart": resource},
                         run_config={"resources": {"recomart": {"config": {"raw_zone": str(tmp_path / "launch")}}}})
    assert result.success
    assert seen["settings"].raw_zone == str(tmp_path / "launch")


def test_a_secret_in_resource_config_is_refused_without_echoing_it():
    with pytest.raises(ValidationError, match="read from the environment") as caught:
        RecomartResource(metadata_api_token="tok-123")
    assert "tok-123" not in str(caught.value)
    assert RecomartResource(metadata_api_token=MASK).metadata_api_token == MASK
