"""The ``recomart`` command: one group, one module per subcommand under ``commands/``.

Subcommand modules are imported only when that subcommand runs, so ``recomart consume`` does not
pay for Dagster, FastAPI and pandas (memory and start-up time of a long-running consumer).
"""

from __future__ import annotations

import importlib
import logging

import click

from recomart_assets.logs import configure_logging
from recomart_assets.settings import Settings

# subcommand name -> module under recomart_assets.commands exporting ``command``
SUBCOMMANDS = {
    "broker": "broker",
    "consume": "consume",
    "demo": "demo",
    "dev": "dev",
    "ingest-master": "ingest_master",
    "ingest-transactions": "ingest_transactions",
    "metadata-api": "metadata_api",
    "pull-metadata": "pull_metadata",
    "simulate": "simulate",
    "verify": "verify",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = SUBCOMMANDS.get(cmd_name)
        if module is None:
            return None
        return importlib.import_module(f"recomart_assets.commands.{module}").command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """RecoMart raw-data platform: ingestion, raw zone, data quality."""
    configure_logging(Settings.from_env(), level=logging.DEBUG if verbose else logging.INFO)
