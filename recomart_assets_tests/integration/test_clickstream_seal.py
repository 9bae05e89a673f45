"""Sealing a day a real consumer wrote, and late data after the seal, through the Dagster sensor and
asset (sealing's own logic, merges included: ``sources/clickstream/test_seal.py``; resume:
``sources/clickstream/test_batches.py``; CSV exports: ``sources/clickstream/test_exports.py``)."""

from __future__ import annotations

from datetime import date

import pytest
from dagster import build_sensor_context, materialize

from recomart_assets.defs.clickstream.assets import clickstream
from recomart_assets.defs.clickstream.sensors import clickstream_seal_sensor
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.lake import read_manifest, verify_tree
from recomart_assets.simulate.clickstream import produce_clickstream
from recomart_assets.sources.clickstream.consumer import ConsumerOptions, run_consumer
from recomart_assets.sources.clickstream.seal import SEAL_FILE, read_seal

DAY = "2026-03-01"


@pytest.fixture
def resource(kafka_settings, monkeypatch) -> RecomartResource:
    monkeypatch.setenv("RECOMART_CLICKSTREAM_TOPIC", kafka_settings.clickstream_topic)
    return RecomartResource(raw_zone=kafka_settings.raw_zone,
                            kafka_bootstrap_servers=kafka_settings.kafka_bootstrap_servers)


def seal_run(resource: RecomartResource):
    return materialize([clickstream], partition_key=DAY, resources={"recomart": resource})


@pytest.mark.integration
def test_seal_then_late_data_makes_the_day_resealable(kafka_settings, zone, resource):
    produced = produce_clickstream(kafka_settings, 2000, [date(2026, 3, 1)], seed=21, dirty_rate=0.08)
    consume = ConsumerOptions(idle_exit=2, caught_up_after=1)  # caught up on idle: the watermark passes the day
    run_consumer(kafka_settings, consume, handle_signals=False)

    with build_sensor_context(resources={"recomart": resource}) as context:
        requests = clickstream_seal_sensor(context)
    assert [r.partition_key for r in requests] == [DAY]

    assert seal_run(resource).success
    seal = read_seal(zone, DAY)
    assert seal["closed"] and seal["seal_count"] == 1 and seal["late_events"] == 0
    assert seal["duplicate_event_ids"] == produced.duplicates > 0
    assert sum(seal["events_per_type"].values()) == seal["events"] == sum(seal["events_per_hour"].values())
    placed_elsewhere = seal["events"] + seal["quarantined"]
    assert placed_elsewhere <= produced.messages  # sessions near midnight spill into 2026-03-02
    assert read_manifest(zone.partition_dir("clickstream", DAY) / SEAL_FILE).record_count == 1
    with build_sensor_context(resources={"recomart": resource}) as context:
        assert not isinstance(clickstream_seal_sensor(context), list)  # nothing left to seal

    late = produce_clickstream(kafka_settings, 300, [date(2026, 3, 1)], seed=22)
    run_consumer(kafka_settings, consume, handle_signals=False)
    with build_sensor_context(resources={"recomart": resource}) as context:
        requests = clickstream_seal_sensor(context)
    assert [r.partition_key for r in requests] == [DAY]
    assert seal_run(resource).success
    resealed = read_seal(zone, DAY)
    assert resealed["seal_count"] == 2
    assert 0 < resealed["late_events"] <= late.messages
    assert resealed["events"] == seal["events"] + resealed["late_events"]
    assert verify_tree(zone.root).ok
