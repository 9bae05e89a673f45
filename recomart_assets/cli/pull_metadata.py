"""``recomart pull-metadata [--date YYYY-MM-DD]``: one pull of the external metadata API."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from recomart_assets.cli.options import click_options, options_from
from recomart_assets.config import Settings
from recomart_assets.lake.lineage import HttpPull
from recomart_assets.sources.http.metadata_api import pull_metadata
from recomart_assets.sources.http.pull import PullOptions


@click.command("pull-metadata")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="as_of day (UTC) [default: today].")
@click_options(PullOptions)
def command(day: datetime | None, **options: float | int) -> None:
    """Pull the metadata of every product as of one day into the raw zone.

    Writes external_metadata/D/external_metadata_D.csv and refreshes external_metadata.csv (unless
    it holds a newer day), each with a manifest. Exits 1, changing nothing, when the API fails.
    """
    as_of = (day or datetime.now(UTC)).date().isoformat()
    manifest = pull_metadata(Settings.from_env(), as_of, options_from(PullOptions, options))
    source = manifest.source
    pages, attempts = (source.pages, source.attempts) if isinstance(source, HttpPull) else ("?", "?")
    click.echo(
        f"external_metadata {as_of}: {manifest.record_count} products in {pages} page(s), "
        f"{attempts} request(s) -> {manifest.file}"
    )
