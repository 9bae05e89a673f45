"""The consumer's rebalance callbacks and its Kafka options, without a broker (the group protocol
with a real broker is in ``integration/test_kafka_consumer.py``)."""

from __future__ import annotations

import threading
import time

import pytest
from confluent_kafka import TopicPartition

from recomart_assets.config import Settings
from recomart_assets.errors import ConfigError
from recomart_assets.platform.services import free_port
from recomart_assets.sources.clickstream import consumer as kafka_consumer
from recomart_assets.sources.clickstream.consumer import ClickstreamConsumer, eager_strategy


class RecordingConsumer:
    """Stands in for the client a rebalance callback is handed: records what the callback asks of it."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def unassign(self) -> None:
        self.calls.append("unassign")


@pytest.fixture
def consumer(tmp_path):
    settings = Settings.from_env({"RECOMART_RAW_ZONE": str(tmp_path / "lake"),
                                  "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}"})
    member = ClickstreamConsumer(settings)
    yield member
    member.consumer.close()
    member._shutdown_threads()


@pytest.mark.parametrize("callback", ["_on_revoke", "_on_lost"])
def test_revoke_and_lost_give_the_assignment_up_themselves(consumer, callback):
    """Left to confluent-kafka, the fallback after these callbacks asks librdkafka for the rebalance
    protocol, which can hang for good inside ``close()``; the callbacks unassign themselves."""
    consumer.assigned = {0, 1}
    client = RecordingConsumer()
    getattr(consumer, callback)(client, [TopicPartition(consumer.topic, 0)])
    assert client.calls == ["unassign"] and consumer.assigned == {1}


@pytest.mark.parametrize("strategy", ["cooperative-sticky", "COOPERATIVE-STICKY"])
def test_a_cooperative_assignment_strategy_is_refused_at_the_start(tmp_path, strategy):
    properties = tmp_path / "client.properties"
    properties.write_text(f"partition.assignment.strategy={strategy}\n")
    settings = Settings.from_env({"RECOMART_RAW_ZONE": str(tmp_path / "lake"), "RECOMART_KAFKA_CONFIG": str(properties)})
    with pytest.raises(ConfigError, match="eager rebalancing"):
        eager_strategy(settings)
    with pytest.raises(ConfigError, match="eager rebalancing"):
        ClickstreamConsumer(settings)


@pytest.mark.parametrize("strategy", ["range", "roundrobin", "range,roundrobin"])
def test_eager_assignment_strategies_are_accepted(tmp_path, strategy):
    properties = tmp_path / "client.properties"
    properties.write_text(f"partition.assignment.strategy={strategy}\n")
    eager_strategy(Settings.from_env({"RECOMART_RAW_ZONE": str(tmp_path / "lake"),
                                     "RECOMART_KAFKA_CONFIG": str(properties)}))


def test_a_client_stuck_in_close_is_left_behind_after_the_deadline(consumer, monkeypatch, caplog):
    """Whatever keeps librdkafka from closing, the consumer returns: its batches are already published."""
    real_client, release = consumer.consumer, threading.Event()

    class StuckClient:
        def close(self) -> None:
            release.wait(30)

    monkeypatch.setattr(kafka_consumer, "CLOSE_DEADLINE_SECONDS", 0.3)
    consumer.consumer = StuckClient()
    started = time.monotonic()
    consumer._close_client()
    assert time.monotonic() - started < 5
    assert "did not close within" in caplog.text
    release.set()
    consumer.consumer = real_client  # the fixture closes the real one
