"""Placing a round of Kafka messages: event lines per (partition, hour), quarantine records per day with
the reason, the fast path agreeing with the reference, and each partition's batch moved along. Real
:class:`confluent_kafka.Message` objects, built without a broker."""

from __future__ import annotations

import base64
import random
from collections import Counter
from datetime import UTC, datetime

import orjson
from confluent_kafka import KafkaError, Message

from recomart_assets.lake.placing import Placement, TimeBounds, Unplaceable
from recomart_assets.sources.clickstream.messages import (
    MessagePlacer,
    fingerprint,
    quarantine_record,
    reference_placement,
)
from recomart_assets.sources.clickstream.spool import ONE_HOUR, PartitionBatch

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
BOUNDS = TimeBounds(now=lambda: NOW)
LATEST = BOUNDS.latest()
KAFKA_MS = int(datetime(2026, 3, 1, 8, tzinfo=UTC).timestamp() * 1000)


def message(partition: int, offset: int, value: bytes | None, key: bytes | None = None) -> Message:
    return Message(topic="t", partition=partition, offset=offset, key=key, value=value, timestamp=(1, KAFKA_MS))


def hour_of(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp).timestamp()) // ONE_HOUR


def test_the_reference_says_where_a_message_goes_or_why_not():
    assert reference_placement(None, BOUNDS, LATEST).kind == "empty_message"
    assert reference_placement(b"{nope", BOUNDS, LATEST).kind == "invalid_json"
    assert reference_placement(b"[1]", BOUNDS, LATEST).reason == "not a JSON object: list"
    placed = reference_placement(b'{"timestamp":"2026-03-01T10:30:00+01:00"}', BOUNDS, LATEST)
    assert isinstance(placed, Placement) and (placed.day, placed.hour) == ("2026-03-01", 9)
    assert isinstance(reference_placement(b'{"timestamp":"2026-03-01T10:30:00"}', BOUNDS, LATEST), Unplaceable)
    assert reference_placement(b'{"timestamp":"2026-03-03T10:30:00Z"}', BOUNDS, LATEST).kind == "beyond_clock_skew"


def test_a_quarantine_record_keeps_the_original_key_and_value():
    record = orjson.loads(quarantine_record(message(2, 7, b"\xff\xfe", b"k"), Unplaceable("invalid_json", "bad"), "t"))
    assert (record["reason"], record["kind"], record["partition"], record["offset"]) == ("bad", "invalid_json", 2, 7)
    assert base64.b64decode(record["value_b64"]) == b"\xff\xfe" and record["value_text"] is None
    assert base64.b64decode(record["key_b64"]) == b"k" and record["kafka_timestamp_ms"] == KAFKA_MS
    empty = orjson.loads(quarantine_record(message(0, 1, None), Unplaceable("empty_message", "empty"), "t"))
    assert empty["value_b64"] is None and empty["key_b64"] is None


def test_a_fingerprint_tells_messages_apart_beyond_their_offset():
    base = fingerprint(message(0, 1, b"v", b"k"))
    assert len(base) == 32 and base == fingerprint(message(3, 99, b"v", b"k"))
    assert base != fingerprint(message(0, 1, b"w", b"k")) != fingerprint(message(0, 1, b"v", b"j"))
    assert fingerprint(message(0, 1, b"b", b"a")) != fingerprint(message(0, 1, b"", b"ab"))  # lengths count


def test_a_round_is_placed_per_partition_and_hour_and_moves_each_batch():
    reasons: dict[str, int] = {}
    errors: list[Message] = []
    placer = MessagePlacer("t", BOUNDS, reasons, errors.append)
    fast = b'{"event_id":"a","timestamp":"2026-03-01T10:15:00Z"}'
    pretty = b'{\n  "event_id": "b",\n  "timestamp": "2026-03-01T10:45:00Z"\n}'
    # an escape spells the key a second time: the reference (the last key wins) decides, not the fast path
    escaped = b'{"timestamp":"2026-03-01T10:00:00Z","time\\u0073tamp":"2026-03-01T11:00:00Z"}'
    twice = b'{"timestamp":"2026-03-01T23:00:00Z","timestamp":"2026-03-01T11:30:00Z"}'  # the last one counts
    eof = Message(topic="t", partition=1, offset=3, error=KafkaError(KafkaError._PARTITION_EOF))
    batches: dict[int, PartitionBatch] = {}
    round_ = [message(0, 10, fast), message(0, 11, pretty), message(0, 12, b"not json"), message(1, 4, escaped),
              eof, message(1, 5, twice)]
    routed, newest = placer.place_round(round_, batches, {0: 10, 1: None})
    ten, eleven = hour_of("2026-03-01T10:00:00+00:00"), hour_of("2026-03-01T11:00:00+00:00")
    assert routed[(0, ten)] == [fast, b'{"event_id":"b","timestamp":"2026-03-01T10:45:00Z"}']
    assert routed[(1, eleven)] == [escaped, twice]
    [quarantined] = routed[(0, "2026-03-01")]  # the day of the Kafka timestamp
    assert orjson.loads(quarantined)["offset"] == 12 and reasons == {"invalid_json": 1}
    assert errors == [eof] and newest.offset() == 5
    assert (batches[0].first_offset, batches[0].last_offset, batches[0].base) == (10, 12, 10)
    assert (batches[1].first_offset, batches[1].last_offset, batches[1].base) == (4, 5, None)
    assert batches[1].last_message.offset() == 5


def test_an_empty_round_changes_nothing():
    placer = MessagePlacer("t", BOUNDS, {}, lambda msg: None)
    batches: dict[int, PartitionBatch] = {}
    assert placer.place_round([], batches, {}) == ({}, None) and batches == {}


def test_mixed_rounds_place_every_message_where_the_reference_says():
    """Rounds mixing clean events with every shape the fast path must hand over (escapes, a repeated key,
    line breaks, a non-string or out-of-bounds timestamp, broken JSON): each message lands exactly once,
    where :func:`reference_placement` says, whether a round passes the joined byte checks or not."""
    rng = random.Random(3)
    shapes = [
        lambda h, i: b'{"e":%d,"timestamp":"2026-03-01T%02d:15:00+05:30"}' % (i, h),
        lambda h: b'{\n"e":2,\r\n"timestamp":"2026-03-01T%02d:00:00Z"}' % h,
        lambda h: b'{"e":"a\\"b","timestamp":"2026-03-01T%02d:30:00Z"}' % h,
        lambda h: b'{"timestamp":"2026-03-01T00:00:00Z","timestamp":"2026-03-01T%02d:00:00Z"}' % h,
        lambda h: b'{"timestamp":%d}' % h,
        lambda h: b'{"timestamp":"2030-01-01T%02d:00:00Z"}' % h,
        lambda h: b'{"timestamp":"2026-03-01T%02d:00:00"}' % h,
        lambda h: b'["timestamp", %d]' % h,
        lambda h: b'{"timestamp":"2026-03-01T%02d:00:00Z"' % h,
        lambda h: b'\xef\xbb\xbf{"timestamp":"2026-03-01T%02d:00:00Z"}' % h,  # simdjson skips the mark, orjson not
        lambda h: b'{"timestamp":{"at":"2026-03-01T%02d:00:00Z"}}' % h,
        lambda h: None,
        lambda h: b'{"timestamp":"2026-03-01T%02d:00:00.125-01:00","e":"\xef\xbc\xa1"}' % h,
    ]
    for dirty_rate in (0.0, 0.02, 0.5):
        placer = MessagePlacer("t", BOUNDS, {}, lambda msg: None)
        batches: dict[int, PartitionBatch] = {}
        expected: dict[tuple[int, int | str], list[bytes]] = {}
        round_, offsets = [], [0, 0, 0]
        for partition in (0, 1, 2):  # runs per partition, as consume() gives them
            for _ in range(300):
                hour = rng.randrange(24)
                offset = offsets[partition]
                value = shapes[0](hour, offset) if rng.random() >= dirty_rate else rng.choice(shapes[1:])(hour)
                msg = message(partition, offsets[partition], value)
                offsets[partition] += 1
                round_.append(msg)
                answer = reference_placement(value, BOUNDS, LATEST)
                if isinstance(answer, Placement):
                    assert value is not None
                    line = orjson.dumps(orjson.loads(value)) if b"\n" in value or b"\r" in value else value
                    expected.setdefault((partition, int(answer.moment.timestamp()) // ONE_HOUR), []).append(line)
                else:
                    expected.setdefault((partition, "2026-03-01"), []).append(b"%d" % msg.offset())
        routed, _newest = placer.place_round(round_, batches, {})
        got = {key: [b"%d" % orjson.loads(line)["offset"] if isinstance(key[1], str) else line for line in lines]
               for key, lines in routed.items()}
        assert {k: Counter(v) for k, v in got.items()} == {k: Counter(v) for k, v in expected.items()}, dirty_rate
        if dirty_rate == 0.0:
            assert got == expected  # a clean round keeps arrival order in every file
