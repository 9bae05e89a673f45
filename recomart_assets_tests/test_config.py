"""Settings come from the environment only, every variable declared once; secrets never reach logs;
an unusable value is a ConfigError that names its variable."""

from datetime import timedelta

import pytest
from pydantic import SecretStr

from recomart_assets.config import ENV_VARS, Settings
from recomart_assets.errors import ConfigError

# The variables of CONTRACT.md and the README's Environment table.
DOCUMENTED = {
    "RECOMART_RAW_ZONE", "KAFKA_BOOTSTRAP_SERVERS", "RECOMART_CLICKSTREAM_TOPIC", "RECOMART_CONSUMER_GROUP",
    "RECOMART_METADATA_API_URL", "RECOMART_METADATA_API_TOKEN", "RECOMART_MASTER_EXPORTS", "DAGSTER_HOME",
    "TANSU_BIN", "RECOMART_CLOCK_SKEW_SECONDS", "RECOMART_KAFKA_CONFIG", "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD", "KAFKA_SSL_CA_LOCATION",
    "KAFKA_SSL_CERTIFICATE_LOCATION", "KAFKA_SSL_KEY_LOCATION", "KAFKA_SSL_KEY_PASSWORD",
    "RECOMART_FRESHNESS_DEADLINES", "RECOMART_CHANGES_BLOCK", "RECOMART_CONSUMER_STALL_SECONDS",
    "RECOMART_SPARK_THRESHOLD_BYTES", "RECOMART_SPARK_MASTER",
}


def every_variable(tmp_path) -> dict[str, str]:
    """A value for each variable (a properties file for RECOMART_KAFKA_CONFIG, numbers where needed)."""
    config = tmp_path / "client.properties"
    config.write_text("client.id=recomart\n")
    values = {var: f"value-of-{var.lower()}" for var in ENV_VARS.values()}
    values.update(RECOMART_KAFKA_CONFIG=str(config), RECOMART_CLOCK_SKEW_SECONDS="90.5", RECOMART_CHANGES_BLOCK="True",
                  RECOMART_CONSUMER_STALL_SECONDS="45.0", RECOMART_SPARK_THRESHOLD_BYTES="1000000")
    return values


def test_defaults_match_the_contract():
    settings = Settings.from_env({})
    assert settings.raw_zone == "./raw_zone"
    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092"
    assert settings.clickstream_topic == "reco_clickstream"
    assert settings.metadata_api_url == "http://127.0.0.1:8000"
    assert settings.dagster_home == "./.dagster_home"
    assert settings.uses_default_broker and settings.uses_default_metadata_api
    assert settings.consumer_group == "recomart-clickstream"
    assert settings.master_exports_dir == "./master_exports"
    assert settings.tansu_bin is None and settings.metadata_api_token is None
    assert settings.clock_skew == timedelta(hours=6)
    assert settings.consumer_stall_seconds == 300
    assert settings.spark_threshold_bytes is None and settings.spark_master == "local[2]"  # Spark never chosen


def test_every_variable_is_declared_once_on_its_field():
    assert set(ENV_VARS) == set(Settings.model_fields)
    assert set(ENV_VARS.values()) == DOCUMENTED
    assert len(set(ENV_VARS.values())) == len(ENV_VARS)
    for name, info in Settings.model_fields.items():
        assert info.description.startswith(f"{ENV_VARS[name]}: "), name
    assert Settings.secret_fields() == {"metadata_api_token", "kafka_sasl_password", "kafka_ssl_key_password"}


def test_every_variable_is_read_and_reaches_a_child(tmp_path):
    environ = every_variable(tmp_path)
    settings = Settings.from_env(environ)
    assert settings.as_environ() == environ
    assert Settings.from_env(settings.as_environ()) == settings
    assert settings.clock_skew == timedelta(seconds=90.5)


def test_a_given_mapping_is_the_only_source(monkeypatch):
    monkeypatch.setenv("RECOMART_RAW_ZONE", "/from/the/process")
    monkeypatch.setenv("RECOMART_CLICKSTREAM_TOPIC", "")
    assert Settings.from_env({}).raw_zone == "./raw_zone"
    assert Settings.from_env({"recomart_raw_zone": "/lower/case"}).raw_zone == "./raw_zone"
    process = Settings.from_env()
    assert process.raw_zone == "/from/the/process"
    assert process.clickstream_topic == "reco_clickstream"  # empty means unset


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
    assert settings.metadata_api_token.get_secret_value() == "tok-123"


def test_every_kafka_variable_is_the_librdkafka_option_of_its_name(tmp_path):
    config = tmp_path / "client.properties"
    config.write_text("bootstrap.servers=cloud:9092\nssl.key.password=from-file\nsasl.username=file-user\n")
    kafka_vars = {var: f"v-{var}" for var in ENV_VARS.values() if var.startswith("KAFKA_")}
    settings = Settings.from_env({**kafka_vars, "RECOMART_KAFKA_CONFIG": str(config)})
    client = settings.kafka_config()
    assert client == {
        "bootstrap.servers": "cloud:9092",  # the file may name the cluster
        "security.protocol": "v-KAFKA_SECURITY_PROTOCOL",
        "sasl.mechanism": "v-KAFKA_SASL_MECHANISM",
        "sasl.username": "v-KAFKA_SASL_USERNAME",  # a variable wins over the file
        "sasl.password": "v-KAFKA_SASL_PASSWORD",
        "ssl.ca.location": "v-KAFKA_SSL_CA_LOCATION",
        "ssl.certificate.location": "v-KAFKA_SSL_CERTIFICATE_LOCATION",
        "ssl.key.location": "v-KAFKA_SSL_KEY_LOCATION",
        "ssl.key.password": "v-KAFKA_SSL_KEY_PASSWORD",
    }
    assert isinstance(settings.kafka_options["ssl.key.password"], SecretStr)
    assert settings.describe()["kafka_options"]["sasl.password"] == "**********"
    assert "v-KAFKA_SASL_PASSWORD" not in repr(settings.describe())


def test_the_file_changes_a_client_s_tuning_but_not_what_it_relies_on(tmp_path):
    config = tmp_path / "client.properties"
    config.write_text("session.timeout.ms=3000\ngroup.id=from-file\n")
    settings = Settings.from_env({"RECOMART_KAFKA_CONFIG": str(config)})
    client = settings.kafka_config({"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000}, **{"group.id": "g"})
    assert client["session.timeout.ms"] == "3000" and client["heartbeat.interval.ms"] == 1000
    assert client["group.id"] == "g"


def test_a_file_password_is_a_secret_too(tmp_path):
    config = tmp_path / "client.properties"
    config.write_text("sasl.password=from-file\n")
    settings = Settings.from_env({"RECOMART_KAFKA_CONFIG": str(config)})
    assert settings.kafka_config()["sasl.password"] == "from-file"
    assert "from-file" not in f"{settings!r} {settings.describe()} {settings.kafka_options}"


def test_bad_kafka_config_file_is_a_clear_error(tmp_path):
    config = tmp_path / "client.properties"
    config.write_text("security.protocol\n")
    with pytest.raises(ValueError, match="expected key=value"):
        Settings.from_env({"RECOMART_KAFKA_CONFIG": str(config)})
    with pytest.raises(ConfigError, match=r"RECOMART_KAFKA_CONFIG: .*client.properties line 1: expected key=value"):
        Settings.from_env({"RECOMART_KAFKA_CONFIG": str(config)})
    with pytest.raises(ConfigError, match="RECOMART_KAFKA_CONFIG: cannot read .*missing.properties"):
        Settings.from_env({"RECOMART_KAFKA_CONFIG": str(tmp_path / "missing.properties")})


@pytest.mark.parametrize(("value", "problem"), [("soon", "valid number"), ("-60", "greater than or equal to 0")])
def test_a_bad_value_names_its_variable(value, problem):
    with pytest.raises(ConfigError, match=rf"RECOMART_CLOCK_SKEW_SECONDS='{value}': .*{problem}") as caught:
        Settings.from_env({"RECOMART_CLOCK_SKEW_SECONDS": value, "RECOMART_METADATA_API_TOKEN": "tok-123"})
    assert caught.value.exit_code == 2 and "tok-123" not in str(caught.value)


@pytest.mark.parametrize(("value", "problem"), [("1GB", "valid integer"), ("-1", "greater than or equal to 0")])
def test_a_bad_spark_threshold_names_its_variable(value, problem):
    with pytest.raises(ConfigError, match=rf"RECOMART_SPARK_THRESHOLD_BYTES='{value}': .*{problem}"):
        Settings.from_env({"RECOMART_SPARK_THRESHOLD_BYTES": value})


def test_replace_validates_like_the_environment(tmp_path):
    settings = Settings.from_env({"RECOMART_METADATA_API_TOKEN": "tok-123"})
    changed = settings.replace(metadata_api_url="http://api.example/", raw_zone=str(tmp_path), tansu_bin=None)
    assert changed.metadata_api_url == "http://api.example" and changed.raw_zone == str(tmp_path)
    assert changed.metadata_api_token.get_secret_value() == "tok-123"
    assert settings.replace(metadata_api_token=None).metadata_api_token is None
    with pytest.raises(ConfigError, match="RECOMART_CLOCK_SKEW_SECONDS"):
        settings.replace(clock_skew_seconds="soon")
    with pytest.raises(TypeError, match="raw_zoen"):
        settings.replace(raw_zoen="typo")


def test_usable_settings_leave_out_only_the_bad_variables(tmp_path):
    """What the code location loads with: a bad variable unset (and named), every other one kept."""
    settings, problem = Settings.usable_from_env({"RECOMART_CLOCK_SKEW_SECONDS": "abc", "RECOMART_CHANGES_BLOCK": "1"})
    assert settings.changes_block and settings.clock_skew_seconds == Settings.from_env({}).clock_skew_seconds
    assert problem.startswith("invalid configuration: RECOMART_CLOCK_SKEW_SECONDS='abc'")
    assert Settings.usable_from_env({"RECOMART_CHANGES_BLOCK": "1"})[1] is None
    config = tmp_path / "client.properties"
    config.write_text("security.protocol\n")
    settings, problem = Settings.usable_from_env({"RECOMART_KAFKA_CONFIG": str(config), "RECOMART_CHANGES_BLOCK": "1"})
    assert settings == Settings.from_env({}) and "expected key=value" in problem


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_the_stall_setting_must_be_a_positive_number(value):
    with pytest.raises(ConfigError, match=rf"RECOMART_CONSUMER_STALL_SECONDS='{value}'"):
        Settings.from_env({"RECOMART_CONSUMER_STALL_SECONDS": value})
    assert Settings.from_env({"RECOMART_CONSUMER_STALL_SECONDS": "12.5"}).consumer_stall_seconds == 12.5
