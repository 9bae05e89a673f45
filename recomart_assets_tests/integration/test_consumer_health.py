"""The consumer's health against a real broker: a running ``recomart consume`` reports lag and
watermark in its progress file, the Dagster sensor turns them into observations and a passing
check, and once the consumer is killed (``kill -9``) the check warns."""

from __future__ import annotations

import signal
from datetime import date

import pytest
from dagster import AssetCheckEvaluation, AssetObservation, build_sensor_context

from recomart_assets.defs.clickstream.health import clickstream_consumer_health_sensor
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.platform.waiting import wait_until
from recomart_assets.simulate.clickstream import produce_clickstream
from recomart_assets.sources.clickstream.progress import read_progress
from recomart_assets_tests.fixtures.kafka import start_consumer

pytestmark = pytest.mark.integration

EVENTS = 3000
STALL_SECONDS = 3.0


def tick(recomart: RecomartResource) -> tuple[dict, AssetCheckEvaluation]:
    """One sensor tick (no cursor, so it always reports): the observation's numbers and the check."""
    result = clickstream_consumer_health_sensor(build_sensor_context(resources={"recomart": recomart}))
    [observation] = [e for e in result.asset_events if isinstance(e, AssetObservation)]
    [check] = [e for e in result.asset_events if isinstance(e, AssetCheckEvaluation)]
    return {k: v.value for k, v in observation.metadata.items()}, check


def test_lag_and_watermark_are_reported_and_a_killed_consumer_warns(kafka_settings, zone, tmp_path):
    settings = kafka_settings.replace(consumer_stall_seconds=STALL_SECONDS)
    recomart = RecomartResource.from_settings(settings)
    log_path = tmp_path / "consumer.log"
    consumer = start_consumer(kafka_settings, log_path=log_path)  # batches close after 10 s of quiet
    try:
        wait_until(lambda: "assigned" in log_path.read_text(), 30, message="the consumer joins the group")
        produce_clickstream(kafka_settings, EVENTS, [date(2026, 3, 1)], seed=5)

        # Read but not yet published: the whole topic is lag, and the watermark is the topic's end.
        def lagging() -> bool:
            figures, check = tick(recomart)
            return figures["high_watermark_total"] == EVENTS and figures["consumer_lag"] > 0 and check.passed
        wait_until(lagging, 15, interval=0.5, message="the sensor reports lag with the topic's watermark")
        [record] = read_progress(zone, kafka_settings.clickstream_topic)
        assert sorted(p.partition for p in record.partitions) == [0, 1, 2] and record.kafka_member_id

        # Published after the quiet period: no lag, the rate and the check healthy.
        def caught_up() -> bool:
            figures, check = tick(recomart)
            return figures["consumer_lag"] == 0 and figures["committed_offset_total"] == EVENTS and check.passed
        wait_until(caught_up, 20, interval=0.5, message="the consumer publishes and catches up")
        figures, check = tick(recomart)
        assert figures["consumers"] == 1 and figures["consumer_state"] == "healthy"
        assert check.description.startswith("healthy: 1 consumer(s) keeping up: lag 0")
    finally:
        consumer.send_signal(signal.SIGKILL)
        consumer.wait(10)

    # Killed: its file stops changing; after the stall setting the check warns that nobody reports.
    def warns() -> bool:
        return not tick(recomart)[1].passed
    wait_until(warns, STALL_SECONDS + 5, interval=0.5, message="the check warns once the consumer is gone")
    figures, check = tick(recomart)
    assert check.description.startswith("absent: no clickstream consumer has reported in the last 3s")
    assert "last reported" in check.description and figures["consumers"] == 0


def test_a_group_of_two_members_is_reported_as_one(kafka_settings, zone, tmp_path):
    settings = kafka_settings.replace(consumer_stall_seconds=30)
    recomart = RecomartResource.from_settings(settings)
    members = [start_consumer(kafka_settings, "--batch-timeout", "1", log_path=tmp_path / f"{name}.log")
               for name in ("a", "b")]
    try:
        def both_assigned() -> bool:
            records = read_progress(zone, kafka_settings.clickstream_topic)
            owned = sorted(p.partition for r in records for p in r.partitions)
            return len(records) == 2 and all(r.partitions for r in records) and owned == [0, 1, 2]
        wait_until(both_assigned, 30, interval=0.5, message="two members share the three partitions")
        produce_clickstream(kafka_settings, EVENTS, [date(2026, 3, 1)], seed=6)

        def caught_up() -> bool:
            figures, check = tick(recomart)
            return (figures["consumers"] == 2 and figures["high_watermark_total"] == EVENTS
                    and figures["consumer_lag"] == 0 and check.passed)
        wait_until(caught_up, 25, interval=0.5, message="the group's totals cover both members")
        records = read_progress(zone, kafka_settings.clickstream_topic)
        assert sum(p.committed_offset for r in records for p in r.partitions) == EVENTS
    finally:
        for member in members:
            member.send_signal(signal.SIGTERM)  # a clean stop marks each file stopped
        for member in members:
            member.wait(30)
    assert all(r.stopped_at is not None for r in read_progress(zone, kafka_settings.clickstream_topic))
    figures, check = tick(recomart)
    assert figures["consumers"] == 0 and check.description.startswith("absent:") and "stopped" in check.description
