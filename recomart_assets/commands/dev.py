"""``recomart dev``."""

from __future__ import annotations

import click

from recomart_assets.dev import DEFAULT_HOST, DEFAULT_PORT, run_dev
from recomart_assets.settings import Settings
from recomart_assets.ui_api import UIError


@click.command("dev")
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Interface of the Dagster UI (keep it on loopback unless it sits behind an authenticating proxy).")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True, help="Port of the UI.")
def command(host: str, port: int) -> None:
    """Start the services that are not running and the Dagster UI, with sensors and schedules on.

    Ctrl-C (or SIGTERM) stops everything this command started.
    """
    try:
        code = run_dev(Settings.from_env(), host=host, port=port, echo=click.echo)
    except (UIError, RuntimeError, TimeoutError) as exc:
        raise click.ClickException(str(exc)) from exc
    if code:
        raise SystemExit(code)
