"""``recomart ingest-transactions``: one pass over the transactions landing zone.

Exit codes: 0 when every file was taken in (ingested, quarantined, refused or set aside as a
duplicate), 1 when a file failed (it stays in the landing folder), 3 when a file was still being
written after the wait (it stays for the next pass).
"""

from __future__ import annotations

import click

from recomart_assets.config import Settings
from recomart_assets.errors import LandingFilesWaiting
from recomart_assets.lake import RawZone, intake
from recomart_assets.lake.placing import TimeBounds
from recomart_assets.sources.transactions import LANDING


@click.command("ingest-transactions")
@click.option(
    "--settle-seconds", type=click.FloatRange(0.0), default=intake.DEFAULT_SETTLE_SECONDS, show_default=True,
    help="A file modified more recently than this is still being written.",
)
@click.option(
    "--max-wait", type=click.FloatRange(0.0), default=None,
    help="Seconds to wait for files still being written before giving up on them "
    f"[default: the settle window + {intake.WAIT_MARGIN_SECONDS:g}].",
)
def command(settle_seconds: float, max_wait: float | None) -> None:
    """Split every complete landing file by transaction date, archive it; quarantine what cannot be placed.

    Files still being written are waited for (bounded by --max-wait); name a corrected re-send
    ``<name>.replace`` to replace the earlier file's rows instead of adding to them.
    """
    settings = Settings.from_env()
    zone = RawZone.from_settings(settings)
    zone.create_tree()
    wait = settle_seconds + intake.WAIT_MARGIN_SECONDS if max_wait is None else max_wait
    result = intake.run_pass(LANDING, zone, settle_seconds, TimeBounds(clock_skew=settings.clock_skew), max_wait=wait)
    for outcome in result.outcomes:
        detail = outcome.reason or f"{outcome.records} records in {len(outcome.partitions)} partition(s)"
        if outcome.rejected_rows:
            detail += f", {outcome.rejected_rows} rejected rows"
        note = outcome.version_note(LANDING.key_column)
        if note and outcome.status == "ingested":
            detail += f"; {note}"
        click.echo(f"{outcome.status:<11} {intake.storable(outcome.name)!r}: {detail}")
    for name in result.waiting:
        click.echo(f"{'waiting':<11} {intake.storable(name)!r}: still being written after {wait:g} s; left for the "
                   "next pass")
    click.echo(
        f"{len(result.outcomes)} file(s): {result.count('ingested')} ingested, {result.count('quarantined')} "
        f"quarantined, {result.count('duplicate')} duplicate, {result.count('refused')} refused, "
        f"{result.count('failed')} failed, {len(result.waiting)} waiting; partitions {result.partitions}"
    )
    if result.count("failed"):
        raise click.ClickException(f"{result.count('failed')} file(s) failed; they stay in the landing folder")
    if result.waiting:
        raise LandingFilesWaiting(f"{len(result.waiting)} file(s) still being written; run the command again later")
