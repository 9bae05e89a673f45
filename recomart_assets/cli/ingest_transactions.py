"""``recomart ingest-transactions``: one pass over the transactions landing zone."""

from __future__ import annotations

import click

from recomart_assets.config import Settings
from recomart_assets.lake import RawZone, intake
from recomart_assets.sources.transactions import LANDING


@click.command("ingest-transactions")
@click.option(
    "--settle-seconds", type=click.FloatRange(0.0), default=intake.DEFAULT_SETTLE_SECONDS, show_default=True,
    help="Files modified more recently than this are still being written: left for the next pass.",
)
def command(settle_seconds: float) -> None:
    """Split every complete landing file by transaction date, archive it; quarantine what cannot be placed."""
    settings = Settings.from_env()
    zone = RawZone.from_settings(settings)
    zone.create_tree()
    result = intake.run_pass(LANDING, zone, settle_seconds, settings.time_bounds())
    for outcome in result.outcomes:
        detail = outcome.reason or f"{outcome.records} records in {len(outcome.partitions)} partition(s)"
        if outcome.rejected_rows:
            detail += f", {outcome.rejected_rows} rejected rows"
        click.echo(f"{outcome.status:<11} {outcome.name!r}: {detail}")
    for name in result.waiting:
        click.echo(f"{'waiting':<11} {name!r}: still being written")
    click.echo(
        f"{len(result.outcomes)} file(s): {result.count('ingested')} ingested, {result.count('quarantined')} "
        f"quarantined, {result.count('duplicate')} duplicate, {result.count('refused')} refused, "
        f"{result.count('failed')} failed; partitions {result.partitions}"
    )
    if result.count("failed"):
        raise click.ClickException(f"{result.count('failed')} file(s) failed; they stay in the landing folder")
