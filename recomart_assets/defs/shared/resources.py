"""The Dagster resource that hands assets their settings and raw zone.

Its fields are derived from :class:`~recomart_assets.config.Settings` (one field per setting, same
name, the variable and its meaning as description), so a new setting needs no edit here.
:meth:`RecomartResource.from_settings` fills every field with the effective value, which is what the
Dagster UI shows; tests and runs override single fields (``RecomartResource(raw_zone=...)``, or
resource config at launch). A field left ``None`` means "as in the environment".

Secrets never enter a field: config values are part of the code location's snapshot that the UI and
the GraphQL API expose. A secret's field only shows :data:`MASK` when the secret is set; its value
is read from the environment with the rest of the settings, once per resource instance (once per
run), when an asset first asks for :meth:`~RecomartResource.settings`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from dagster import ConfigurableResource
from pydantic import ConfigDict, Field, PrivateAttr, create_model, field_validator

from recomart_assets.config import ENV_VARS, Settings
from recomart_assets.errors import ConfigError
from recomart_assets.lake.placing import TimeBounds
from recomart_assets.lake.zone import RawZone
from recomart_assets.logs import get_logger

MASK = "**********"  # what pydantic's SecretStr shows


class _RecomartResourceBase(ConfigurableResource):
    """Settings and raw zone for assets, sensors and the IO manager (fields: see the module docstring)."""

    # A rejected value might be a secret pasted into config: keep it out of the error message.
    model_config = ConfigDict(hide_input_in_errors=True)

    _settings: Settings | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, settings: Settings) -> RecomartResource:
        """A resource whose fields show ``settings`` (secrets masked)."""
        values = {name: getattr(settings, name) for name in ENV_VARS}
        for name in Settings.secret_fields():
            values[name] = MASK if values[name] is not None else None
        return cls(**values)

    def settings(self) -> Settings:
        """The environment's settings with this resource's fields applied, built on first use."""
        if self._settings is None:
            overrides = {
                name: value for name in ENV_VARS
                if name not in Settings.secret_fields() and (value := getattr(self, name)) is not None
            }
            self._settings = Settings.from_env().replace(**overrides)
        return self._settings

    def zone(self) -> RawZone:
        """The raw zone these settings point at."""
        return RawZone.from_settings(self.settings())

    def time_bounds(self) -> TimeBounds:
        """The event times that can be placed, with these settings' clock skew."""
        return TimeBounds(clock_skew=self.settings().clock_skew)


def _only_mask(value: str | None) -> str | None:
    if value not in (None, MASK):
        raise ConfigError("secrets are read from the environment, never from resource config "
                          f"(a secret's field only shows {MASK} when it is set)")
    return value


def _resource_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, info in Settings.model_fields.items():
        if name in Settings.secret_fields():
            fields[name] = (str | None, Field(None, description=f"{info.description} (secret: shown masked)"))
        else:
            fields[name] = (info.annotation | None, Field(None, description=info.description))
    return fields


RecomartResource = create_model(
    "RecomartResource",
    __base__=_RecomartResourceBase,
    __module__=__name__,
    __doc__=_RecomartResourceBase.__doc__,
    __validators__={
        "_secrets_masked": field_validator(*sorted(Settings.secret_fields()))(_only_mask),
    },
    **_resource_fields(),
)


def settings_at_load() -> Settings:
    """The settings the definitions show or depend on (the resource's values in the UI, whether the
    change checks block, the freshness deadlines), read when the code location loads, never at import.

    A variable that cannot be used is treated as unset here, with a warning naming it: one bad
    variable must not stop the code location from loading. Runs read the settings again
    (:meth:`RecomartResource.settings`) and fail with the same message.
    """
    settings, problem = Settings.usable_from_env()
    if problem:
        _warn_once(problem)
    return settings


@cache
def _warn_once(problem: str) -> None:
    """One warning per distinct problem and process (several modules read the settings at load)."""
    get_logger("definitions").warning("%s (the definitions load with these variables unset; runs fail until fixed)",
                                      problem)

