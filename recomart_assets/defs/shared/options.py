"""Dagster run config derived from an options class, so its fields are listed once.

An options class (a pydantic dataclass such as :class:`~recomart_assets.sources.http.pull.PullOptions`)
names every field with its type, default, bounds and description; :func:`config_from_options` turns
it into a :class:`dagster.Config` with the same fields (the descriptions show in the launchpad, the
bounds are checked when a run starts), and ``config.options()`` gives the options back.
"""

from typing import Any

from dagster import Config
from pydantic import create_model


class OptionsConfig(Config):
    """Base of a derived run config: :meth:`options` builds the options class it was derived from."""

    def options(self) -> Any:
        """The options these run-config values stand for."""
        return self.options_class(**self.model_dump())  # type: ignore[attr-defined]


def config_from_options(options_class: type) -> type[OptionsConfig]:
    """A :class:`dagster.Config` with exactly the fields of ``options_class`` (subclass it to name it)."""
    fields = {field_name: (info.annotation, info) for field_name, info in options_class.__pydantic_fields__.items()}
    config = create_model(f"{options_class.__name__}Config", __base__=OptionsConfig,
                          __doc__=f"Run config of :class:`{options_class.__name__}`.", **fields)
    config.options_class = options_class
    return config
