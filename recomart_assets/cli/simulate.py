"""``recomart simulate {master,transactions,clickstream,all}``: synthetic source data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import click

from recomart_assets.config import Settings
from recomart_assets.platform.broker import ensure_broker
from recomart_assets.simulate import clickstream, master, transactions
from recomart_assets.simulate.incidents import KINDS, Incident

seed_option = click.option("--seed", type=int, default=master.DEFAULT_SEED, show_default=True, help="Random seed.")
dirty_option = click.option(
    "--dirty-rate", type=click.FloatRange(0.0, 1.0), default=0.0, show_default=True,
    help="Share of records with an injected defect.",
)

incident_option = click.option(
    "--incident", type=click.Choice(KINDS), default=None,
    help="Inject one incident on --incident-day (see recomart_assets.simulate.incidents).",
)
incident_day_option = click.option(
    "--incident-day", type=click.DateTime(["%Y-%m-%d"]), default=None,
    help="UTC day of the incident [default: the last simulated day].",
)


def _incident(kind: str | None, day: datetime | None, default_day: date, source: str) -> Incident | None:
    """The incident to inject; ``source_stops`` stops the source this command simulates."""
    if kind is None:
        return None
    return Incident(kind, day.date() if day else default_day, source=source)


@click.group("simulate")
def command() -> None:
    """Generate synthetic data for the simulated sources."""


@command.command("master")
@seed_option
@dirty_option
@click.option("--products", type=click.IntRange(1), default=master.DEFAULT_PRODUCTS, show_default=True)
@click.option("--customers", type=click.IntRange(1), default=master.DEFAULT_CUSTOMERS, show_default=True)
@incident_option
def simulate_master(seed: int, dirty_rate: float, products: int, customers: int, incident: str | None = None) -> None:
    """Write the master exports (product catalog, customers); prices_in_cents changes the catalog."""
    chosen = _incident(incident, None, datetime.now(UTC).date(), "transactions")
    paths = master.write_master_exports(Settings.from_env(), seed, products, customers, dirty_rate, incident=chosen)
    for name, path in paths.items():
        click.echo(f"{name}: {path}")


@command.command("clickstream")
@seed_option
@dirty_option
@click.option("--events", type=click.IntRange(1), default=10_000, show_default=True, help="Events to produce.")
@click.option("--days", type=click.IntRange(1), default=3, show_default=True,
              help="Spread events over this many days, ending yesterday (UTC) unless --start is given.")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (YYYY-MM-DD).")
@click.option("--rate", type=click.FloatRange(1), default=None,
              help="Messages per second (default: as fast as possible).")
@incident_option
@incident_day_option
def simulate_clickstream(seed: int, dirty_rate: float, events: int, days: int, start, rate: float | None,
                         incident: str | None = None, incident_day: datetime | None = None) -> None:
    """Produce shopping sessions to the clickstream topic (starts the embedded broker if needed)."""
    settings = Settings.from_env()
    span = ([start.date() + timedelta(days=i) for i in range(days)] if start else clickstream.recent_days(days))
    chosen = _incident(incident, incident_day, span[-1], "clickstream")
    with ensure_broker(settings) as started:
        if started:
            click.echo("warning: started an in-memory broker for this command; its events vanish when it stops")
        counts = clickstream.produce_clickstream(settings, events, span, seed=seed, dirty_rate=dirty_rate,
                                                 rate=rate, incident=chosen)
    click.echo(f"produced to {settings.clickstream_topic} over {span[0]}..{span[-1]}: "
               + " ".join(f"{k}={v}" for k, v in counts.as_dict().items()))


@command.command("transactions")
@seed_option
@dirty_option
@click.option("--files", type=click.IntRange(1), default=3, show_default=True, help="Landing files to drop.")
@click.option("--rows", type=click.IntRange(1), default=2_000, show_default=True, help="Rows per file.")
@click.option("--days", type=click.IntRange(1), default=3, show_default=True,
              help="The files end on different days within this many days, ending today (UTC).")
@incident_option
@incident_day_option
def simulate_transactions(seed: int, dirty_rate: float, files: int, rows: int, days: int,
                          incident: str | None = None, incident_day: datetime | None = None) -> None:
    """Drop transaction CSVs into the landing zone (each spans several days)."""
    chosen = _incident(incident, incident_day, datetime.now(UTC).date(), "transactions")
    report = transactions.write_transaction_drops(
        Settings.from_env(), seed=seed, days=days, files=files, rows_per_file=rows, dirty_rate=dirty_rate,
        incident=chosen,
    )
    for name in report.files:
        click.echo(f"dropped {name}")
    click.echo(f"{report.lines} data lines; defects: " + " ".join(f"{k}={v}" for k, v in report.defects.items()))


@command.command("all")
@seed_option
@dirty_option
@click.option("--days", type=click.IntRange(1), default=3, show_default=True, help="Days of transactions and clicks.")
@click.option("--events", type=click.IntRange(1), default=10_000, show_default=True, help="Clickstream events.")
@incident_option
@incident_day_option
@click.pass_context
def simulate_all(ctx: click.Context, seed: int, dirty_rate: float, days: int, events: int,
                 incident: str | None = None, incident_day: datetime | None = None) -> None:
    """Master exports, transaction drops and clickstream events, with one seed and dirty rate.

    With ``--incident source_stops`` only the transactions stop (the first source that can).
    """
    ctx.invoke(simulate_master, seed=seed, dirty_rate=dirty_rate, incident=incident)
    ctx.invoke(simulate_transactions, seed=seed, dirty_rate=dirty_rate, days=days, incident=incident,
               incident_day=incident_day)
    clicks = None if incident == "source_stops" else incident
    ctx.invoke(simulate_clickstream, seed=seed, dirty_rate=dirty_rate, days=days, events=events, incident=clicks,
               incident_day=incident_day)
