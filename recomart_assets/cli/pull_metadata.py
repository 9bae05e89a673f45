"""``recomart pull-metadata [--date YYYY-MM-DD]``: one pull of the external metadata API."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from recomart_assets.config import Settings
from recomart_assets.sources.http.metadata_api import PullOptions, pull_metadata

_defaults = PullOptions()


@click.command("pull-metadata")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="as_of day (UTC) [default: today].")
@click.option("--attempts", type=click.IntRange(1), default=_defaults.attempts, show_default=True,
              help="Attempts per page request.")
@click.option("--connect-timeout", type=click.FloatRange(0, min_open=True), default=_defaults.connect_timeout,
              show_default=True, help="Seconds.")
@click.option("--read-timeout", type=click.FloatRange(0, min_open=True), default=_defaults.read_timeout,
              show_default=True, help="Seconds of silence allowed between two reads.")
@click.option("--deadline", type=click.FloatRange(0, min_open=True), default=_defaults.deadline,
              show_default=True, help="Seconds allowed for each request as a whole, body included.")
@click.option("--page-size", type=click.IntRange(1), default=_defaults.page_size, show_default=True)
def command(
    day: datetime | None, attempts: int, connect_timeout: float, read_timeout: float, deadline: float, page_size: int
) -> None:
    """Pull the metadata of every product as of one day into the raw zone.

    Writes external_metadata/D/external_metadata_D.csv and refreshes external_metadata.csv (unless
    it holds a newer day), each with a manifest. Exits 1, changing nothing, when the API fails.
    """
    as_of = (day or datetime.now(UTC)).date().isoformat()
    options = PullOptions(
        attempts=attempts, connect_timeout=connect_timeout, read_timeout=read_timeout, deadline=deadline,
        page_size=page_size,
    )
    manifest = pull_metadata(Settings.from_env(), as_of, options)
    source = manifest.source
    click.echo(
        f"external_metadata {as_of}: {manifest.record_count} products in {source['pages']} page(s), "
        f"{source['attempts']} request(s) -> {manifest.file}"
    )
