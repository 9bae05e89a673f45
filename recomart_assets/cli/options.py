"""Command-line options derived from an options class, so its fields are listed once.

Each field of a pydantic dataclass (such as :class:`~recomart_assets.sources.http.pull.PullOptions`)
becomes ``--field-name`` with the field's type, bounds (``gt``/``ge`` become click ranges), default
and description as help; :func:`options_from` collects the parsed values back into the class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

Options = TypeVar("Options")


def _param_type(annotation: object, metadata: list[object]) -> click.ParamType:
    low, open_low = None, False
    for bound in metadata:  # pydantic's annotated_types.Gt / Ge
        if getattr(bound, "gt", None) is not None:
            low, open_low = bound.gt, True
        elif getattr(bound, "ge", None) is not None:
            low = bound.ge
    if annotation is int:
        return click.IntRange(None if low is None else int(low) + open_low)
    if annotation is float:
        return click.FloatRange(low, min_open=open_low)
    raise TypeError(f"no command-line type for {annotation!r}")


def click_options(options_class: type) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator adding one click option per field of ``options_class``."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for name, info in reversed(options_class.__pydantic_fields__.items()):
            command = click.option(f"--{name.replace('_', '-')}", name, type=_param_type(info.annotation, info.metadata),
                                   default=info.default, show_default=True, help=info.description)(command)
        return command

    return decorate


def options_from(options_class: type[Options], values: dict[str, Any]) -> Options:
    """The options given on the command line (every field of ``options_class``, taken from ``values``)."""
    return options_class(**{name: values.pop(name) for name in options_class.__pydantic_fields__})
