"""Class 2 of issue 20: a Kafka log that rewinds or skips past what the lake holds (a topic deleted
and created again, a broker that lost its log) is reported, recorded and shown, never skipped."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from dagster import materialize

from recomart_assets.defs.clickstream.assets import clickstream
from recomart_assets.defs.clickstream.checks import clickstream_log_continuity
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.errors import KafkaLogDiscontinuity
from recomart_assets.lake import verify_tree
from recomart_assets.platform.broker import ensure_topic
from recomart_assets.sources.clickstream.batches import read_incidents
from recomart_assets.sources.clickstream.consumer import ClickstreamConsumer, ConsumerOptions, run_consumer
from recomart_assets_tests.fixtures.kafka import lake_messages

pytestmark = pytest.mark.integration

OPTIONS = ConsumerOptions(idle_exit=1.5, batch_size=20)


def produce(settings, tag: str, n: int) -> list[bytes]:
    """``n`` distinct valid events of the last hour."""
    stamp = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    values = [orjson.dumps({"event_id": f"{tag}-{i}", "user_id": "u", "session_id": "s", "event_type": "view",
                            "product_id": "p", "search_term": None, "device": "web", "timestamp": stamp})
              for i in range(n)]
    producer = Producer(settings.kafka_config())
    for value in values:
        producer.produce(settings.clickstream_topic, value=value, key=b"u")
    assert producer.flush(30) == 0
    return values


def recreate(settings) -> None:
    admin = AdminClient(settings.kafka_config())
    admin.delete_topics([settings.clickstream_topic])[settings.clickstream_topic].result(10)
    ensure_topic(settings, partitions=1)


@pytest.fixture
def one_partition(kafka_settings):
    settings = kafka_settings.replace(clickstream_topic=f"rewind_{uuid.uuid4().hex[:8]}")
    ensure_topic(settings, partitions=1)
    return settings


def test_a_recreated_topic_stops_the_consumer_then_restarts_from_the_log_start(one_partition, zone, monkeypatch):
    old = produce(one_partition, "old", 30)
    assert run_consumer(one_partition, OPTIONS, handle_signals=False).messages == 30
    old_files = {p: p.read_bytes() for p in zone.root.rglob("*.jsonl")}
    recreate(one_partition)
    new = produce(one_partition, "new", 45)  # more than the lake's 30: offsets 30..44 alone would look fine

    with pytest.raises(KafkaLogDiscontinuity, match=r"topic-recreated.*restart-from-log-start"):
        run_consumer(one_partition, OPTIONS, handle_signals=False)
    (incident,) = read_incidents(zone, one_partition.clickstream_topic)
    assert incident["kind"] == "topic-recreated" and incident["action"] == "stopped"
    assert incident["lake_next_offset"] == 30
    assert dict(lake_messages(zone)) == dict.fromkeys(old, 1)  # nothing of the new log taken silently

    resource = RecomartResource(raw_zone=one_partition.raw_zone,
                                kafka_bootstrap_servers=one_partition.kafka_bootstrap_servers)
    monkeypatch.setenv("RECOMART_CLICKSTREAM_TOPIC", one_partition.clickstream_topic)
    result = materialize([clickstream, clickstream_log_continuity], partition_key=datetime.now(UTC).date().isoformat(),
                         resources={"recomart": resource}, raise_on_error=False,
                         run_config={"ops": {"clickstream": {"config": {"force": True}}}})
    monkeypatch.delenv("RECOMART_CLICKSTREAM_TOPIC")
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.metadata["incidents"].value == 1

    restart = ConsumerOptions(idle_exit=1.5, batch_size=20, on_rewind="restart-from-log-start")
    assert run_consumer(one_partition, restart, handle_signals=False).messages == 45
    assert dict(lake_messages(zone)) == dict.fromkeys(old + new, 1)
    assert all(path.read_bytes() == data for path, data in old_files.items())  # no name reused
    assert [i["action"] for i in read_incidents(zone, one_partition.clickstream_topic)] == [
        "stopped", "restarted-from-log-start"]
    assert verify_tree(zone.root).ok


def test_without_topic_ids_the_lakes_last_message_is_read_back(one_partition, zone, monkeypatch):
    """A broker that gives no topic id: the consumer reads the message before its position again and
    compares it with the fingerprint the lake recorded; a shorter new log never answers there, a
    longer one holds another message there."""
    monkeypatch.setattr(ClickstreamConsumer, "_read_topic_id", lambda self, admin: None)
    old = produce(one_partition, "old", 30)
    assert run_consumer(one_partition, OPTIONS, handle_signals=False).messages == 30
    recreate(one_partition)
    produce(one_partition, "new", 10)
    with pytest.raises(KafkaLogDiscontinuity, match="log-ends-before-lake"):
        run_consumer(one_partition, OPTIONS, handle_signals=False)
    produce(one_partition, "more", 35)  # the new log now reaches past the lake's position
    with pytest.raises(KafkaLogDiscontinuity, match="log-replaced"):
        run_consumer(one_partition, OPTIONS, handle_signals=False)
    assert [i["kind"] for i in read_incidents(zone, one_partition.clickstream_topic)] == [
        "log-ends-before-lake", "log-replaced"]
    assert dict(lake_messages(zone)) == dict.fromkeys(old, 1)
