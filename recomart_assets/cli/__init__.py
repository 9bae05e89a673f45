"""The ``recomart`` command: one group, one module per subcommand in this package.

Subcommand modules are imported only when that subcommand runs (``--help`` imports none of them),
so ``recomart consume`` does not pay for Dagster, FastAPI and pandas, and ``recomart --help`` is
instant. A :class:`~recomart_assets.errors.RecomartError` becomes a one-line message and its exit
code (bounded in size: it may quote data); any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import importlib
import logging

import click

from recomart_assets.errors import RecomartError
from recomart_assets.text import excerpt

MAX_MESSAGE_CHARS = 2000  # an error message quotes data (names, reasons): bounded like every log line

# subcommand name -> (module in this package exporting ``command``, one-line help for the listing)
SUBCOMMANDS = {
    "acknowledge": ("acknowledge", "Acknowledge a known quality finding (who, why, until) so it stops warning."),
    "broker": ("broker", "Run the embedded Kafka-compatible broker in the foreground."),
    "consume": ("consume", "The clickstream consumer: Kafka topic -> raw zone, exactly once."),
    "demo": ("demo", "The main job end to end on embedded services; prints the report's path."),
    "dev": ("dev", "Embedded services plus the Dagster UI, with sensors and schedules on."),
    "ingest-master": ("ingest_master", "One sync of the master exports; also creates the raw-zone folders."),
    "ingest-transactions": ("ingest_transactions", "One pass over the transactions landing zone."),
    "metadata-api": ("metadata_api", "Run the simulated external metadata REST API."),
    "pull-metadata": ("pull_metadata", "One pull of the external metadata API."),
    "simulate": ("simulate", "Generate synthetic master, transaction and clickstream data."),
    "verify": ("verify", "Re-check every manifest of the raw zone (or PATH) against its file."),
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module on first use and maps platform errors."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every subcommand name, sorted, from :data:`SUBCOMMANDS` alone: listing them imports no subcommand module."""
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The subcommand's ``command``, its module imported only now; None for an unknown name (click then reports
        it)."""
        entry = SUBCOMMANDS.get(cmd_name)
        if entry is None:
            return None
        return importlib.import_module(f"recomart_assets.cli.{entry[0]}").command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The ``--help`` listing from the one-line helps in :data:`SUBCOMMANDS`, so ``--help`` imports no subcommand
        module."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, SUBCOMMANDS[name][1]) for name in self.list_commands(ctx)])

    def invoke(self, ctx: click.Context):
        """Run the subcommand; a :class:`RecomartError` becomes a bounded one-line message on stderr and its exit
        code, any other exception keeps its traceback (a bug)."""
        try:
            return super().invoke(ctx)
        except RecomartError as exc:
            click.echo(f"Error: {excerpt(str(exc), MAX_MESSAGE_CHARS)}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """RecoMart raw-data platform: ingestion, raw zone, data quality."""
    from recomart_assets.config import Settings
    from recomart_assets.platform.logging_setup import configure_logging

    configure_logging(Settings.from_env(), level=logging.DEBUG if verbose else logging.INFO)
