"""The ``recomart`` command: one group, one module per subcommand under ``commands/``."""

from __future__ import annotations

import logging

import click

from recomart_assets.commands import (
    broker,
    consume,
    demo,
    dev,
    ingest_master,
    ingest_transactions,
    metadata_api,
    pull_metadata,
    simulate,
    verify,
)
from recomart_assets.logs import configure_logging
from recomart_assets.settings import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """RecoMart raw-data platform: ingestion, raw zone, data quality."""
    configure_logging(Settings.from_env(), level=logging.DEBUG if verbose else logging.INFO)


for _module in (
    broker, consume, demo, dev, ingest_master, ingest_transactions, metadata_api, pull_metadata, simulate, verify
):
    main.add_command(_module.command)
