"""The clickstream simulator: seeded sessions in the contract's shape, injected defects counted, produced to a broker."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date, datetime, timedelta

import orjson
from confluent_kafka import Consumer, TopicPartition

from recomart_assets.simulate.clickstream import (
    BAD_TIMESTAMPS,
    ProducedCounts,
    SessionGenerator,
    dirty_messages,
    produce_clickstream,
    recent_days,
)
from recomart_assets.simulate.shop import DEVICES

DAYS = [date(2026, 1, 5), date(2026, 1, 6)]  # pinned: nothing here depends on today's date
FIELDS = {"event_id", "user_id", "session_id", "event_type", "product_id", "search_term", "device", "timestamp"}


def test_sessions_are_seeded_and_spread_evenly_over_the_days():
    events = list(SessionGenerator(7, n_products=50, n_customers=20).events(301, DAYS))
    assert events == list(SessionGenerator(7, n_products=50, n_customers=20).events(301, DAYS))
    assert events != list(SessionGenerator(8, n_products=50, n_customers=20).events(301, DAYS))
    first, second = events[:151], events[151:]
    assert len(second) == 150
    for day, batch in ((DAYS[0], first), (DAYS[1], second)):
        moments = [datetime.fromisoformat(e["timestamp"]) for e in batch]
        assert moments == sorted(moments)  # in time order within a day
        assert moments[0].date() >= day and moments[0] >= datetime.fromisoformat(f"{day}T00:00:00+00:00")
        assert all(m < datetime.fromisoformat(f"{day}T00:00:00+00:00") + timedelta(days=2) for m in moments)


def test_events_have_the_contracts_fields_and_clocks():
    events = list(SessionGenerator(3, n_products=50, n_customers=20).events(500, DAYS[:1]))
    assert all(set(e) == FIELDS for e in events)
    assert len({e["event_id"] for e in events}) == len(events)
    assert {e["device"] for e in events} == set(DEVICES)
    assert {e["event_type"] for e in events} == {"view", "click", "add_to_cart", "search"}
    for event in events:
        assert (event["product_id"] is None) == (event["event_type"] == "search")
        assert (event["search_term"] is None) == (event["event_type"] != "search")
        offset = event["timestamp"][-6:]
        assert offset == ("+00:00" if event["device"] == "web" else "+05:30")
        assert 1 <= int(event["user_id"][1:]) <= 20 and (event["product_id"] is None or int(event["product_id"][1:]) <= 50)


def test_clean_messages_are_the_events_keyed_by_user():
    events = list(SessionGenerator(1, n_products=50, n_customers=20).events(50, DAYS[:1]))
    counts = ProducedCounts()
    messages = list(dirty_messages(iter([dict(e) for e in events]), 0.0, 1, counts))
    assert messages == [(e["user_id"].encode(), orjson.dumps(e)) for e in events]
    assert counts.as_dict() == ProducedCounts().as_dict()  # nothing injected


def test_defects_are_injected_and_counted():
    events = SessionGenerator(2, n_products=50, n_customers=20).events(2000, DAYS[:1])
    counts = ProducedCounts()
    messages = list(dirty_messages(events, 0.5, 2, counts))
    assert len(messages) == 2000 + counts.duplicates
    found: Counter[str] = Counter()
    for _, value in messages:
        try:
            event = orjson.loads(value)
        except orjson.JSONDecodeError:
            found["malformed"] += 1
            continue
        if "timestamp" not in event:
            found["no timestamp"] += 1
        elif event["timestamp"] in BAD_TIMESTAMPS:
            found["bad timestamp"] += 1
    assert found["malformed"] == counts.malformed_json > 0
    assert found["no timestamp"] == counts.missing_timestamp > 0
    assert found["bad timestamp"] == counts.bad_timestamp > 0
    assert counts.missing_fields >= counts.missing_timestamp and counts.duplicates > 0
    assert counts.expected_quarantined == counts.malformed_json + counts.missing_timestamp + counts.bad_timestamp
    assert counts.as_dict()["expected_quarantined"] == counts.expected_quarantined
    values = [v for _, v in messages]
    assert len(values) - len(set(values)) >= counts.duplicates  # re-sent messages repeat their bytes


def test_recent_days_are_the_closed_days_before_today():
    assert recent_days(3, today=date(2026, 3, 1)) == [date(2026, 2, 26), date(2026, 2, 27), date(2026, 2, 28)]
    assert recent_days(1, today=date(2026, 1, 1)) == [date(2025, 12, 31)]


def test_events_are_produced_to_the_topic(kafka_settings):
    counts = produce_clickstream(kafka_settings, 120, DAYS, seed=4, dirty_rate=0.1)
    assert counts.messages == 120 + counts.duplicates and counts.delivery_failures == 0
    consumer = Consumer(kafka_settings.kafka_config(**{"group.id": "check", "enable.auto.commit": False}))
    try:
        partitions = consumer.list_topics(kafka_settings.clickstream_topic, timeout=10).topics[
            kafka_settings.clickstream_topic].partitions
        consumer.assign([TopicPartition(kafka_settings.clickstream_topic, p, 0) for p in partitions])
        received: list = []
        deadline = time.monotonic() + 20
        while len(received) < counts.messages and time.monotonic() < deadline:
            received += [m for m in consumer.consume(500, timeout=0.5) if m.error() is None]
    finally:
        consumer.close()
    assert len(received) == counts.messages
    expected = list(dirty_messages(SessionGenerator(4).events(120, DAYS), 0.1, 4, ProducedCounts()))
    assert Counter(m.value() for m in received) == Counter(v for _, v in expected)
