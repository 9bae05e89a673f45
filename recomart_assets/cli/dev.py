"""``recomart dev``."""

from __future__ import annotations

import click

from recomart_assets.config import Settings
from recomart_assets.platform.dev import DEFAULT_HOST, DEFAULT_PORT, run_dev


@click.command("dev")
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Interface of the Dagster UI (keep it on loopback unless it sits behind an authenticating proxy).")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True, help="Port of the UI.")
def command(host: str, port: int) -> None:
    """Start the services that are not running and the Dagster UI, with sensors and schedules on.

    Ctrl-C (or SIGTERM) stops everything this command started.
    """
    code = run_dev(Settings.from_env(), host=host, port=port, echo=click.echo)
    if code:
        raise SystemExit(code)
