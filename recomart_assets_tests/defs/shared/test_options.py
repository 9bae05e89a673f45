"""A run config derived from an options class has its fields and bounds, and gives the options back."""

from __future__ import annotations

import pytest
from pydantic import Field, ValidationError
from pydantic.dataclasses import dataclass

from recomart_assets.defs.shared.options import config_from_options


@dataclass
class Toy:
    """Toy options."""

    page_size: int = Field(default=500, ge=1, description="Items per page.")
    deadline: float = Field(default=30.0, gt=0, description="Seconds allowed.")


class ToyConfig(config_from_options(Toy)):
    """The toy's run config."""


def test_fields_defaults_and_options():
    assert set(ToyConfig.model_fields) == {"page_size", "deadline"}
    assert ToyConfig.model_fields["page_size"].description == "Items per page."
    assert ToyConfig().options() == Toy()
    assert ToyConfig(page_size=7).options() == Toy(page_size=7)


def test_bounds_are_checked():
    with pytest.raises(ValidationError):
        ToyConfig(deadline=0)
