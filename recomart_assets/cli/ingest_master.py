"""``recomart ingest-master``."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from recomart_assets.config import Settings
from recomart_assets.sources.master_exports import ingest_master


@click.command("ingest-master")
@click.option("--date", "when", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Partition date YYYY-MM-DD (default: today, UTC).")
def command(when: datetime | None) -> None:
    """Sync the master exports into the raw zone (and create the raw-zone folder tree)."""
    day = (when or datetime.now(UTC)).date().isoformat()
    manifests = ingest_master(Settings.from_env(), day)
    for dataset, manifest in manifests.items():
        click.echo(f"{dataset}: {manifest.record_count} records -> {manifest.file} (partition {day})")
