"""Restarts, clocks and a full disk around the consumer (issue 20, class 5): a broker restart never
makes it drop the events it holds, a host clock that runs ahead never closes today early, and a full
raw zone stops it with a clear error and nothing half-published."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition
from upath import UPath

from recomart_assets.config import KAFKA_CONFIG_VAR, Settings
from recomart_assets.errors import ConsumerWriteError
from recomart_assets.lake import RawZone, complete_files, read_manifest
from recomart_assets.platform.broker import broker_process, ensure_topic
from recomart_assets.platform.services import free_port
from recomart_assets.platform.waiting import wait_until
from recomart_assets.simulate.clickstream import produce_clickstream
from recomart_assets.sources.clickstream import consumer as kafka_consumer
from recomart_assets.sources.clickstream.batches import resume_positions
from recomart_assets.sources.clickstream.consumer import ClickstreamConsumer, ConsumerOptions, run_consumer
from recomart_assets.sources.clickstream.seal import day_end
from recomart_assets.sources.clickstream.watermarks import read_watermark
from recomart_assets_tests.fixtures.crash import assert_invariants, fill, small_disk
from recomart_assets_tests.fixtures.kafka import lake_messages
from recomart_assets_tests.integration.test_kafka_consumer import DAYS, assert_exactly_once, expected_messages
from recomart_assets_tests.integration.test_kafka_rewind import produce

pytestmark = pytest.mark.integration


def broker_restart_scenario(raw_zone: str) -> None:
    """A consumer holding an open batch while its broker restarts empty; every event it held is in the lake.

    librdkafka logs the group's protocol (``debug=cgrp``): the rejoin's callbacks (lost, then assigned
    with the cluster id read again) run inside ``consume()`` among many log lines, the setting in which a
    nested call into the consumer once aborted the process (see :meth:`ClickstreamConsumer._on_assign`).
    """
    properties = Path(raw_zone).parent / "client.properties"
    properties.write_text("debug=cgrp\n")
    settings = Settings.from_env({"RECOMART_RAW_ZONE": raw_zone, KAFKA_CONFIG_VAR: str(properties)})
    zone = RawZone.from_settings(settings)
    port = free_port()
    configured = settings.replace(kafka_bootstrap_servers=f"127.0.0.1:{port}", consumer_group="restarted")
    held_open = ConsumerOptions(batch_timeout=120, caught_up_after=120, batch_size=100_000)
    with broker_process(configured, "127.0.0.1", port):
        ensure_topic(configured, partitions=1)
        sent = produce(configured, "before", 50)
        consumer = ClickstreamConsumer(configured, held_open)
        runner = threading.Thread(target=consumer.run)
        runner.start()
        try:
            wait_until(lambda: consumer._pending == 50, timeout=30, message="the open batch holds the 50 events")
            first_cluster = consumer.cluster_id
        except BaseException:
            consumer.request_stop()
            runner.join(30)
            raise
    # The broker is gone now, with the batch still open.
    try:
        with broker_process(configured, "127.0.0.1", port):  # a new, empty cluster on the same address
            ensure_topic(configured, partitions=1)
            wait_until(lambda: consumer.cluster_id != first_cluster, timeout=45, message="the consumer rejoined")
    finally:
        consumer.request_stop()
        runner.join(30)
    assert dict(lake_messages(zone)) == dict.fromkeys(sent, 1)


def test_a_broker_restart_does_not_drop_the_open_batch(zone):
    """The embedded broker keeps nothing: what the consumer received before the restart exists nowhere
    else, so it must be written, not dropped "for the new owner to re-read".

    The scenario runs in an interpreter of its own: once, in a test worker that had run many Kafka
    clients before, librdkafka aborted the process (SIGABRT inside ``consume()``) during the
    restart, which took the whole pytest-xdist worker down and stalled the suite. In a child, such
    an abort is this test's failure, with its output.
    """
    scenario = ("from recomart_assets_tests.integration.test_consumer_faults import broker_restart_scenario; "
                f"broker_restart_scenario({str(zone.root)!r})")
    done = subprocess.run([sys.executable, "-c", scenario], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-4000:]


class _ClockAhead(datetime):
    """The host's clock, two days fast."""

    @classmethod
    def now(cls, tz=None):
        return datetime.now(tz) + timedelta(days=2)


def test_a_clock_ahead_does_not_close_today(settings, zone, monkeypatch):
    consumer = ClickstreamConsumer(settings, ConsumerOptions(allowed_lateness=timedelta(hours=1)))
    try:
        # The newest message's Kafka timestamp is the true time; the host thinks it is two days later.
        consumer._log_clock = (int(datetime.now(UTC).timestamp() * 1000), time.monotonic())
        consumer.assigned = {0}
        monkeypatch.setattr(kafka_consumer, "datetime", _ClockAhead)
        consumer._mark_caught_up()
    finally:
        consumer.consumer.close()
    watermark = read_watermark(zone, settings.clickstream_topic)
    assert watermark is not None and watermark < day_end(datetime.now(UTC).date().isoformat())


def test_a_full_disk_stops_the_consumer_cleanly_and_a_rerun_completes(kafka_settings, tmp_path):
    """The raw zone on a small tmpfs, filled up: a clear error, no half batch in the lake, no offset
    committed past what the lake holds; once space returns a rerun takes every message exactly once."""
    with small_disk(tmp_path, 4 * 1024 * 1024) as disk:
        zone = RawZone(UPath(disk / "raw_zone"))
        zone.create_tree()
        settings = kafka_settings.replace(raw_zone=str(zone.root))
        produce_clickstream(settings, 2000, DAYS, seed=51, dirty_rate=0.05)
        expected = expected_messages(2000, 51, 0.05)
        filler = fill(disk, leave_bytes=200_000)
        options = ConsumerOptions(idle_exit=1.5, batch_size=300)
        with pytest.raises(ConsumerWriteError, match="No space left on device"):
            run_consumer(settings, options, handle_signals=False)
        assert_invariants(zone.root)  # verify clean, no temporary file
        # How many batches fit before the disk filled depends on how the rounds fell (tmpfs gives
        # every file a page): none, or some, but never all.
        held = sum(lake_messages(zone).values())
        assert held < expected.total()
        reader = Consumer(settings.kafka_config(**{"group.id": settings.consumer_group}))
        try:
            committed = reader.committed([TopicPartition(settings.clickstream_topic, p) for p in range(3)], timeout=10)
        finally:
            reader.close()
        clusters = {read_manifest(path).source.cluster_id for day in DAYS
                    for path, _ in complete_files(zone.partition_dir("clickstream", day))}
        positions = resume_positions(zone, settings.clickstream_topic, range(3), clusters.pop()) if clusters else {}
        assert all(tp.offset <= positions.get(tp.partition, 0) for tp in committed)  # nothing committed past the lake

        filler.unlink()
        run_consumer(settings, options, handle_signals=False)
        assert_exactly_once(zone, settings, expected)
        assert_invariants(zone.root, expected_records=expected.total(), counted_records=sum(lake_messages(zone).values()))
