"""The consumer against a real broker: exactly once through crashes, rebalances and SIGTERM."""

from __future__ import annotations

import random
import signal
import threading
import time
from collections import Counter
from datetime import date

import pytest
from confluent_kafka import Consumer, TopicPartition

from recomart_assets.config import Settings
from recomart_assets.lake import RawZone, complete_files, verify_tree
from recomart_assets.platform.broker import BrokerUnavailable, ensure_broker
from recomart_assets.platform.services import free_port
from recomart_assets.platform.waiting import wait_until
from recomart_assets.simulate.clickstream import ProducedCounts, SessionGenerator, dirty_messages, produce_clickstream
from recomart_assets.sources.clickstream.consumer import ConsumerOptions, ConsumerStartError, run_consumer
from recomart_assets_tests.fixtures.kafka import (
    assert_contiguous,
    batch_ranges,
    lake_messages,
    start_consumer,
)

pytestmark = pytest.mark.integration

DAYS = [date(2026, 3, 1), date(2026, 3, 2)]


def expected_messages(n_events: int, seed: int, dirty_rate: float) -> Counter:
    """The values produce_clickstream sends for these arguments (it is deterministic)."""
    events = SessionGenerator(seed).events(n_events, DAYS)
    return Counter(value for _, value in dirty_messages(events, dirty_rate, seed, ProducedCounts()))


def assert_exactly_once(zone: RawZone, settings: Settings, expected: Counter) -> None:
    held = lake_messages(zone)
    assert held == expected, f"missing {sum((expected - held).values())}, extra {sum((held - expected).values())}"
    assert_contiguous(batch_ranges(zone, settings.clickstream_topic), sum(expected.values()))
    result = verify_tree(zone.root)
    assert result.ok, result.problems


def committed(settings: Settings) -> int:
    consumer = Consumer(settings.kafka_config(**{"group.id": settings.consumer_group}))
    try:
        offsets = consumer.committed([TopicPartition(settings.clickstream_topic, p) for p in range(3)], timeout=10)
        return sum(max(tp.offset, 0) for tp in offsets)
    finally:
        consumer.close()


def test_exactly_once_end_to_end_with_dirty_input(kafka_settings, zone):
    produced = produce_clickstream(kafka_settings, 3000, DAYS, seed=7, dirty_rate=0.1)
    counts = run_consumer(kafka_settings, ConsumerOptions(idle_exit=3, batch_size=1000), handle_signals=False)
    assert counts.messages == produced.messages
    assert counts.quarantined == produced.expected_quarantined > 0
    assert_exactly_once(zone, kafka_settings, expected_messages(3000, 7, 0.1))
    assert committed(kafka_settings) == produced.messages
    hour_files = [p.name for p, _ in complete_files(zone.partition_dir("clickstream", "2026-03-01"))]
    assert hour_files and all(n.startswith("h") and f"-{kafka_settings.clickstream_topic}-p" in n for n in hour_files)


def test_kill_9_mid_stream_then_drain_is_exactly_once(kafka_settings, zone, tmp_path):
    options = ("--batch-size", "500", "--batch-timeout", "0.2")
    # ~12 s of live traffic: the consumers are killed while events keep arriving.
    producer = threading.Thread(target=produce_clickstream, args=(kafka_settings, 12_000, DAYS),
                                kwargs={"seed": 11, "dirty_rate": 0.05, "rate": 1000})
    expected = expected_messages(12_000, 11, 0.05)
    rng = random.Random(5)
    log_path = tmp_path / "consumer.log"
    producer.start()
    kills = 0
    try:
        for _ in range(3):
            before = sum(1 for _ in zone.root.rglob("*.manifest"))
            consumer = start_consumer(kafka_settings, *options, log_path=log_path)

            def wrote(before: int = before) -> bool:
                """A batch of this consumer is written, or all traffic is in and nothing is left to write.

                Read while the consumer runs: on resuming, it removes the torn batch its killed predecessor
                left, so a file listed a moment ago may be gone; that poll then says "not yet"."""
                if sum(1 for _ in zone.root.rglob("*.manifest")) > before:
                    return True
                try:
                    return not producer.is_alive() and sum(lake_messages(zone).values()) == expected.total()
                except FileNotFoundError:
                    return False

            try:
                wait_until(wrote, 60, interval=0.1, message="the consumer writes a batch")  # then strike at random
                time.sleep(rng.uniform(0.0, 0.6))
            finally:  # killed even when the wait fails: no consumer outlives the test
                consumer.send_signal(signal.SIGKILL)
                consumer.wait(10)
            kills += 1
    finally:
        producer.join(120)
    assert kills == 3
    drain = start_consumer(kafka_settings, *options, "--idle-exit", "4", log_path=log_path)
    assert drain.wait(120) == 0, log_path.read_text()[-3000:]
    assert_exactly_once(zone, kafka_settings, expected)


def test_two_consumers_share_the_group_through_a_rebalance(kafka_settings, zone, tmp_path):
    first = start_consumer(kafka_settings, "--idle-exit", "8", "--batch-size", "500", log_path=tmp_path / "a.log")
    produce_clickstream(kafka_settings, 4000, DAYS[:1], seed=3)
    second = start_consumer(kafka_settings, "--idle-exit", "8", "--batch-size", "500", log_path=tmp_path / "b.log")
    # the second member joins: the group rebalances while events keep coming
    wait_until(lambda: "assigned" in (tmp_path / "b.log").read_text(), 60, message="the second member gets partitions")
    produce_clickstream(kafka_settings, 4000, DAYS[1:], seed=4)
    assert first.wait(120) == 0 and second.wait(120) == 0
    first_log, second_log = (tmp_path / "a.log").read_text(), (tmp_path / "b.log").read_text()
    assert "revoked" in first_log and "assigned" in second_log
    assert " events=0 " not in first_log and " events=0 " not in second_log  # both wrote a share
    expected = Counter()
    for seed, days in ((3, DAYS[:1]), (4, DAYS[1:])):
        expected += Counter(v for _, v in dirty_messages(SessionGenerator(seed).events(4000, days), 0, seed,
                                                         ProducedCounts()))
    assert_exactly_once(zone, kafka_settings, expected)


def test_sigterm_writes_the_pending_batch_and_commits(kafka_settings, zone, tmp_path):
    log_path = tmp_path / "consumer.log"
    consumer = start_consumer(kafka_settings, "--batch-size", "1000000", "--batch-timeout", "600", log_path=log_path)
    produced = produce_clickstream(kafka_settings, 500, DAYS[:1], seed=9)
    wait_until(lambda: "assigned" in log_path.read_text(), 60, message="the consumer gets partitions")
    time.sleep(3)  # fetched, routed, and held in the (never full, never timed-out) batch
    assert not any(zone.root.rglob("*.manifest"))  # spooled to hidden files, nothing complete yet
    consumer.send_signal(signal.SIGTERM)
    assert consumer.wait(30) == 0, log_path.read_text()[-3000:]
    assert sum(lake_messages(zone).values()) == produced.messages
    assert committed(kafka_settings) == produced.messages


def test_unreachable_broker_is_a_clear_error(settings):
    nowhere = settings.replace(kafka_bootstrap_servers=f"127.0.0.1:{free_port()}")
    with pytest.raises(BrokerUnavailable, match="no Kafka broker answers"), ensure_broker(nowhere, timeout=1):
        pass
    with pytest.raises(ConsumerStartError, match="cannot reach Kafka"):
        run_consumer(nowhere, ConsumerOptions(idle_exit=1, connect_timeout=1), handle_signals=False)


def test_two_members_of_one_group_write_every_offset_once(kafka_settings, zone, tmp_path):
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    members = [start_consumer(kafka_settings, "--idle-exit", "5", "--batch-size", "1000", log_path=path)
               for path in logs]

    def both_assigned() -> bool:
        assert all(member.poll() is None for member in members), "a member exited early"
        return all(path.exists() and "assigned" in path.read_text() for path in logs)

    wait_until(both_assigned, 60, interval=0.1, message="both members hold partitions")
    produce_clickstream(kafka_settings, 6000, DAYS, seed=13)
    assert all(member.wait(120) == 0 for member in members)
    summaries = [path.read_text() for path in logs]
    assert all(" events=0 " not in text for text in summaries)  # each member wrote its share
    expected = Counter(v for _, v in dirty_messages(SessionGenerator(13).events(6000, DAYS), 0, 13, ProducedCounts()))
    assert_exactly_once(zone, kafka_settings, expected)
