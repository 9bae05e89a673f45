"""``recomart acknowledge DATASET METRIC --by WHO --why TEXT --until DATE``: accept a known finding."""

from __future__ import annotations

import click

from recomart_assets.config import Settings
from recomart_assets.lake import RawZone
from recomart_assets.quality.changes.acknowledgements import (
    new_acknowledgement,
    one_line,
    read_acknowledgements,
    write_acknowledgement,
)


def _day(value) -> str | None:
    return value.date().isoformat() if value else None


@click.command("acknowledge")
@click.argument("dataset", required=False)
@click.argument("metric", required=False)
@click.option("--by", "by", help="Who accepts the finding.")
@click.option("--why", help="Why it is accepted (shown in the report).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last partition covered (YYYY-MM-DD).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First partition covered [default: every earlier one].")
@click.option("--all-metrics", is_flag=True,
              help="Required for a METRIC pattern that silences everything (*, check:*); the report's cover says so.")
@click.option("--list", "list_all", is_flag=True, help="List the acknowledgements of the raw zone instead.")
def command(dataset: str | None, metric: str | None, by: str | None, why: str | None, until, since,
            all_metrics: bool, list_all: bool) -> None:
    """Acknowledge a known, accepted anomaly, drift or check failure so it stops warning.

    METRIC is the finding's name in the report: an anomaly's metric (volume:device=android), a
    drift (psi:price, schema), freshness, or check:<check name>; a shell pattern (null_share:*)
    covers several; one that silences everything needs --all-metrics. The finding stays in the report, marked acknowledged, and warns again once
    the partition is after --until.
    """
    zone = RawZone.from_settings(Settings.from_env())
    if list_all:
        for ack in read_acknowledgements(zone):  # escaped: a stored value cannot forge lines
            span = f"{ack.since} to {ack.until}" if ack.since else f"until {ack.until}"
            sweeping = "  ALL METRICS" if ack.sweeping else ""
            click.echo(one_line(f"{ack.id}  {ack.dataset}  {ack.metric}  {span}{sweeping}  by {ack.by}: {ack.why}"))
        return
    missing = [name for name, value in (("DATASET", dataset), ("METRIC", metric), ("--by", by), ("--why", why),
                                        ("--until", until)) if not value]
    if missing:
        raise click.UsageError(f"missing {', '.join(missing)} (or use --list)")
    ack = new_acknowledgement(dataset, metric, by, why, _day(until), _day(since), all_metrics)
    path = write_acknowledgement(zone, ack)
    click.echo(f"acknowledged {ack.metric} of {ack.dataset} until {ack.until} ({ack.id}): {path}")
    if ack.sweeping:
        click.echo(f"warning: this silences every metric and check of {ack.dataset}; reports until {ack.until} "
                   "say so on their cover")
