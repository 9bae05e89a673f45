"""``recomart broker [--host H] [--port P]``."""

from __future__ import annotations

import signal
import threading

import click

from recomart_assets.config import Settings
from recomart_assets.platform.broker import DEFAULT_PARTITIONS, broker_process, ensure_topic
from recomart_assets.platform.services import port_open


@click.command("broker")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=9092, show_default=True)
@click.option("--partitions", type=click.IntRange(1), default=DEFAULT_PARTITIONS, show_default=True,
              help="Partitions of the clickstream topic.")
def command(host: str, port: int, partitions: int) -> None:
    """Run the embedded Kafka-compatible broker (Tansu, in-memory) in the foreground.

    Any stop signal (TERM, INT, HUP, QUIT) stops the broker before exiting; if this process is killed
    outright, the kernel kills the broker too (see :func:`broker_process`): the port is freed either way.
    """
    if port_open(host, port):
        raise click.ClickException(f"something already listens on {host}:{port}")
    settings = Settings.from_env().replace(kafka_bootstrap_servers=f"{host}:{port}")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):  # SIGKILL: the broker dies with us
        signal.signal(signum, lambda *_: stop.set())
    with broker_process(settings, host, port) as broker:
        ensure_topic(settings, partitions=partitions)
        click.echo(f"broker ready on {host}:{port} (topic {settings.clickstream_topic}, {partitions} partitions); "
                   "Ctrl-C to stop")
        while not stop.wait(0.5):
            if broker.process.poll() is not None:
                raise click.ClickException(f"the broker exited with code {broker.process.returncode}")
    click.echo("broker stopped")
