"""``recomart consume [--max-events N] [--idle-exit S]``."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import click

from recomart_assets.config import Settings
from recomart_assets.platform.broker import ensure_broker
from recomart_assets.sources.clickstream.consumer import ON_REWIND, ConsumerOptions, run_consumer


@click.command("consume")
@click.option("--max-events", type=click.IntRange(1), default=None, help="Stop after this many messages.")
@click.option("--idle-exit", type=click.FloatRange(0.1), default=None,
              help="Stop when no message arrived for this many seconds.")
@click.option("--batch-size", type=click.IntRange(1), default=ConsumerOptions.batch_size, show_default=True,
              help="Messages that close a micro-batch.")
@click.option("--batch-timeout", type=click.FloatRange(0.05), default=ConsumerOptions.batch_timeout,
              show_default=True, help="Seconds after which a micro-batch is closed anyway.")
@click.option("--allowed-lateness", type=click.FloatRange(0), default=3600, show_default=True,
              help="Seconds subtracted from event-time progress to form the watermark.")
@click.option("--group", default=None,
              help="Consumer group (default: RECOMART_CONSUMER_GROUP or recomart-clickstream).")
@click.option("--on-rewind", type=click.Choice(ON_REWIND), default="stop", show_default=True,
              help="When a partition's log rewound or skipped past the raw zone (e.g. a recreated topic): stop with"
                   " an error, or read it again from the log's start under a new log epoch. Either way it is"
                   " recorded and reported.")
def command(max_events: int | None, idle_exit: float | None, batch_size: int, batch_timeout: float,
            allowed_lateness: float, group: str | None, on_rewind: str) -> None:
    """Consume the clickstream topic into the raw zone, exactly once (a persistent listener)."""
    settings = Settings.from_env()
    options = ConsumerOptions(batch_size=batch_size, batch_timeout=batch_timeout, max_events=max_events,
                              idle_exit=idle_exit, allowed_lateness=timedelta(seconds=allowed_lateness), group=group,
                              on_rewind=on_rewind)
    with ensure_broker(settings) as started:
        if started:
            click.echo("started the embedded broker for this run (in-memory: it holds no earlier events)")
        with _rare_collections():
            counts = run_consumer(settings, options)
    click.echo(" ".join(f"{k}={v}" for k, v in counts.as_dict().items()))


@contextmanager
def _rare_collections() -> Iterator[None]:
    """Fewer garbage collections while this process's consumer runs, then the interpreter's settings back.

    Set here, by the process that owns the interpreter, not inside the consumer, which may share a
    process with other work (tests run several in threads). Each consumer round allocates ten
    thousand Kafka messages (container objects), so the default threshold (700 allocations) ran a
    young collection every few hundred messages, and the older generations traversed every module
    loaded at start: in a native profile (py-spy --native) 4.6 % of the samples were in
    ``gc_collect_main``. What the loop creates is freed by reference counting; the frozen start-up
    objects are not traversed again until the consumer stops.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
