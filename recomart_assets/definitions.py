"""The Dagster code location: every definition under ``defs/``, found by Dagster's own loader.

``load_from_defs_folder`` reads ``[tool.dg]`` in ``pyproject.toml`` (defs module
``recomart_assets.defs``) and loads each module of the folder: the definitions a module holds at
its top level (assets, checks, jobs, sensors), or what its ``@definitions`` function builds when a
module's definitions depend on settings. A new source adds its folder and nothing here.

``defs`` is a ``Definitions`` object, so ``dagster dev`` (``[tool.dagster]``, ``workspace.yaml``),
``dagster asset materialize -m recomart_assets.definitions``, ``dg check defs`` and callers that
run jobs in-process all load the same thing. Importing this module loads the definitions: nothing
under ``defs/`` reads the environment at import, settings are read once here (leniently: one bad
variable does not stop the location loading) and again by each run's resource. No other side
effects: entry points configure logging, and runs get theirs from the instance's ``dagster.yaml``.
"""

from pathlib import Path

from dagster import load_from_defs_folder

defs = load_from_defs_folder(path_within_project=Path(__file__).parent)
