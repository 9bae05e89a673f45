"""``recomart simulate {master,transactions,clickstream,all}``: synthetic source data."""

from __future__ import annotations

import click

from recomart_assets.settings import Settings
from recomart_assets.simulate import master

seed_option = click.option("--seed", type=int, default=master.DEFAULT_SEED, show_default=True, help="Random seed.")
dirty_option = click.option(
    "--dirty-rate", type=click.FloatRange(0.0, 1.0), default=0.0, show_default=True,
    help="Share of records with an injected defect.",
)


@click.group("simulate")
def command() -> None:
    """Generate synthetic data for the simulated sources."""


@command.command("master")
@seed_option
@dirty_option
@click.option("--products", type=click.IntRange(1), default=master.DEFAULT_PRODUCTS, show_default=True)
@click.option("--customers", type=click.IntRange(1), default=master.DEFAULT_CUSTOMERS, show_default=True)
def simulate_master(seed: int, dirty_rate: float, products: int, customers: int) -> None:
    """Write the master exports (product catalog, customers)."""
    paths = master.write_master_exports(Settings.from_env(), seed, products, customers, dirty_rate)
    for name, path in paths.items():
        click.echo(f"{name}: {path}")
