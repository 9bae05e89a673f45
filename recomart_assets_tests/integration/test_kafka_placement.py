"""Where the consumer puts each message: its fast path agrees with the reference, and event-time bounds hold.

Real broker, real raw zone: tricky values are produced to Kafka, consumed, and each must land
where :func:`~recomart_assets.sources.clickstream.consumer.reference_placement` (orjson, then
:func:`~recomart_assets.lake.placing.place`) says: in the file of its UTC hour, or in quarantine
with that reason. Events before the first partition or beyond now + the allowed clock skew are
quarantined and never move the watermark.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from confluent_kafka import Producer

from recomart_assets.lake import complete_files, verify_tree
from recomart_assets.lake.placing import Placement, TimeBounds
from recomart_assets.sources.clickstream.consumer import ConsumerOptions, run_consumer
from recomart_assets.sources.clickstream.messages import reference_placement
from recomart_assets.sources.clickstream.watermarks import read_partition_watermarks

pytestmark = pytest.mark.integration

LATEST_EVENT = "2026-03-01T10:15:00.000+00:00"


def event(stamp: object = LATEST_EVENT, **extra: object) -> bytes:
    return orjson.dumps({"event_id": f"e-{stamp}", "user_id": "C000001", "session_id": "s-1",
                         "event_type": "view", "product_id": "P000001", "search_term": None,
                         "device": "web", "timestamp": stamp, **extra})


def without_clock(reason: str) -> str:
    """A reason without the clock reading it names (the consumer read the clock a moment earlier)."""
    return re.sub(r"until [^)]*", "until ...", reason)


def tricky_values(now: datetime) -> list[bytes | None]:
    return [
        event(),
        event("2026-03-01T14:45:00.000+05:30"),  # 09:15 UTC
        event((now + timedelta(days=3 * 365)).isoformat()),  # an app clock years ahead
        event("2025-12-31T23:59:59+00:00"),  # before the first partition
        b'{"timestamp":"2026-03-01T05:00:00+00:00","user_id":"C1","timestamp":"2026-03-01T07:00:00+00:00"}',
        b'{"timestamp":"2026-03-01T05:00:00Z","time\\u0073tamp":"2026-03-01T08:00:00Z"}',  # an escaped repeat
        b'{"timestamp":"2026-03-01T05:00:00Z","big":1e999}',  # not JSON: infinity
        b'{"timestamp":"2026-03-01T05:00:00Z","name":"\xff"}',  # not UTF-8
        b'{"timestamp":"2026-03-01T05:00:00Z","n":123456789012345678901234567890}',
        b'{\n  "timestamp": "2026-03-01T06:30:00+00:00",\n  "user_id": "C2"\n}',  # pretty-printed
        event(" 2026-03-01T09:00:00Z "),
        event("2026-03-01T09:00:00"),  # no UTC offset
        event(1767225600),
        event({"at": "2026-03-01T09:00:00Z"}),
        event("20260301T091500Z"),  # the basic ISO 8601 form
        event("2026-02-30T09:00:00Z"),
        event("timestamp"),  # the key's name as a value
        b"[1, 2]",
        b"",
        None,
    ]


def test_every_message_lands_where_the_reference_says(kafka_settings, zone):
    now = datetime.now(UTC)
    values = tricky_values(now)
    producer = Producer(kafka_settings.kafka_config())
    for value in values:
        producer.produce(kafka_settings.clickstream_topic, value=value, key=b"k")
    assert producer.flush(30) == 0
    del producer  # disconnect before the broker fixture goes
    counts = run_consumer(kafka_settings, ConsumerOptions(idle_exit=2), handle_signals=False)
    assert counts.messages == len(values)

    placed: dict[bytes, tuple[str, str]] = {}  # stored line -> (day, hour file prefix)
    for day in sorted((zone.root / "clickstream").iterdir()):
        for path, _ in complete_files(day, "*.jsonl"):
            for line in path.read_bytes().splitlines():
                placed[line] = (day.name, path.name[:3])
    quarantined: dict[bytes | None, dict] = {}
    for day in sorted((zone.root / "quarantine" / "clickstream").iterdir()):
        for path, _ in complete_files(day, "*.jsonl"):
            for line in path.read_bytes().splitlines():
                record = orjson.loads(line)
                original = None if record["value_b64"] is None else base64.b64decode(record["value_b64"])
                quarantined[original] = record
    latest = TimeBounds(clock_skew=kafka_settings.clock_skew).latest()
    for value in values:
        answer = reference_placement(value, TimeBounds(clock_skew=kafka_settings.clock_skew), latest)
        if isinstance(answer, Placement):
            line = orjson.dumps(orjson.loads(value)) if b"\n" in value else value
            assert placed.get(line) == (answer.day, f"h{answer.hour:02d}"), value
        else:
            assert quarantined[value]["kind"] == answer.kind, value
            assert without_clock(quarantined[value]["reason"]) == without_clock(answer.reason)
    assert len(placed) + len(quarantined) == len(values)
    kinds = {record["kind"] for record in quarantined.values()}
    assert {"beyond_clock_skew", "before_first_partition", "invalid_json", "timestamp_without_offset"} <= kinds

    # Neither the event years ahead nor anything else moved event-time progress past the latest placed event.
    marks = read_partition_watermarks(zone, kafka_settings.clickstream_topic)
    progress = [m.event_time_max for m in marks if m.event_time_max is not None]  # one key: one partition
    assert progress == [datetime.fromisoformat("2026-03-01T10:00:00+00:00")]
    assert all(m.watermark <= now for m in marks)
    assert not (zone.root / "clickstream" / (now + timedelta(days=3 * 365)).date().isoformat()).exists()
    assert verify_tree(zone.root).ok
