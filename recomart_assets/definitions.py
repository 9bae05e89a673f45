"""The Dagster code location: the definitions of every area folder under ``defs/`` merged.

Each ``defs/<area>/__init__.py`` exposes ``defs``; this module finds the areas itself, so a new
source adds its folder and nothing here. Importing it has no side effects (no logging set-up, no
folders): entry points configure logging, and runs get theirs from the instance's ``dagster.yaml``.
"""

import importlib
import pkgutil

from dagster import Definitions

from recomart_assets import defs as areas


def area_definitions() -> list[Definitions]:
    """``defs`` of every area package under ``recomart_assets/defs/``, in name order."""
    found = []
    for module in sorted(pkgutil.iter_modules(areas.__path__), key=lambda m: m.name):
        if module.ispkg:
            found.append(importlib.import_module(f"{areas.__name__}.{module.name}").defs)
    return found


defs = Definitions.merge(*area_definitions())
