"""Parsing and placing one round of Kafka messages: an event line for its hour, or a quarantine record.

Placement: every message must be a JSON object whose ``timestamp`` :func:`~recomart_assets.lake.placing.place`
can place (ISO 8601 with a UTC offset, from the first partition to now + the allowed clock skew);
anything else goes to quarantine with its reason, its Kafka coordinates and its original bytes,
and never moves the watermark. Events are kept byte for byte as received (a value spread over
several lines is re-serialised on one, as JSONL needs). The common case is parsed by simdjson and
placed a round at a time by :func:`~recomart_assets.lake.placing.place_many`; whatever that fast
path cannot vouch for (a value with escapes or a repeated ``timestamp`` key, a non-string
timestamp, any parse error) is decided by orjson and :func:`~recomart_assets.lake.placing.place`,
the reference (:func:`reference_placement`), so both paths give the same answers.
"""

from __future__ import annotations

import hashlib
from base64 import b64encode
from collections.abc import Callable, Collection
from datetime import UTC, datetime

import numpy as np
import orjson
import pyarrow as pa
import simdjson
from confluent_kafka import Message

from recomart_assets.lake import arrow
from recomart_assets.lake.placing import MICROS_PER_HOUR, Placement, TimeBounds, Unplaceable, place, place_many
from recomart_assets.sources.clickstream.spool import ONE_HOUR, PartitionBatch

_STAMP = b'"timestamp"'
_BACKSLASH, _LF, _CR = 92, 10, 13

# (partition, hours since the epoch for events or the day for quarantine) -> the round's lines for that file
Routed = dict[tuple[int, int | str], list[bytes]]


def reference_placement(value: bytes | None, bounds: TimeBounds, latest: datetime) -> Placement | Unplaceable:
    """The reference answer for one message (orjson, then :func:`place`): where it goes, or why it cannot."""
    if value is None:
        return Unplaceable("empty_message", "empty message")
    try:
        event = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        return Unplaceable("invalid_json", f"invalid JSON: {exc}")
    if not isinstance(event, dict):
        return Unplaceable("not_a_json_object", f"not a JSON object: {type(event).__name__}")
    return place(event.get("timestamp"), bounds, require_offset=True, latest=latest)


def quarantine_record(msg: Message, problem: Unplaceable, topic: str) -> bytes:
    """One quarantine line: reason, Kafka coordinates and the original key and value (base64)."""
    value, key = msg.value(), msg.key()
    text = None
    if value is not None:
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return orjson.dumps({
        "reason": problem.reason, "kind": problem.kind, "topic": topic, "partition": msg.partition(),
        "offset": msg.offset(), "kafka_timestamp_ms": msg.timestamp()[1],
        "key_b64": None if key is None else b64encode(key).decode(),
        "value_b64": None if value is None else b64encode(value).decode(), "value_text": text,
        "quarantined_at": datetime.now(UTC).isoformat(),
    })


def fingerprint(msg: Message) -> str:
    """What identifies one message of a log beyond its offset: a hash of its timestamp, key and value."""
    digest = hashlib.sha256(str(msg.timestamp()[1]).encode())
    for part in (msg.key(), msg.value()):
        digest.update(b"\0%d\0" % len(part or b""))
        digest.update(part or b"")
    return digest.hexdigest()[:32]


_VALUE, _PARTITION, _ERROR = Message.value, Message.partition, Message.error
_BOM = b"\xef\xbb\xbf"  # simdjson skips a leading byte order mark, orjson refuses it: the reference decides


def _clean(values: list[bytes]) -> bool:
    """Whether every value passes the fast path's byte checks, judged once over the round joined by
    line feeds: no backslash, no carriage return, no value that starts with a byte order mark, a line
    feed only between values, and as many ``"timestamp"`` as values (each holds it at least once,
    unescaped, as simdjson found the key; the joiner cannot be part of a match). Each check is one
    scan in C or numpy; the byte order mark's first byte is rare enough to look for the mark only
    where it occurs."""
    joined = b"\n".join(values)
    return (_BACKSLASH not in joined and _CR not in joined
            and (_BOM[0] not in joined or not any(value.startswith(_BOM) for value in values))
            and int(np.count_nonzero(np.frombuffer(joined, np.uint8) == _LF)) == len(values) - 1
            and joined.count(_STAMP) == len(values))


def _one_line(value: bytes) -> bytes:
    """``value`` as one JSONL line: a value spread over several lines is re-serialised on one."""
    return orjson.dumps(orjson.loads(value)) if _LF in value or _CR in value else value


def _runs(values: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of equal ``values`` (partitions as consume() hands them over, sorted keys)."""
    starts = [0, *(np.flatnonzero(values[1:] != values[:-1]) + 1).tolist()]
    return list(zip(starts, [*starts[1:], len(values)], strict=True))


def _group(partitions: np.ndarray, hours: np.ndarray, problems: Collection[int], values: list[bytes],
           routed: Routed) -> None:
    """Append each placed value to its file's lines in ``routed``, in arrival order: one stable sort by
    (partition, hour) instead of a dictionary lookup per message (``problems``: positions not placed)."""
    keys = (partitions << 32) | hours
    placed = np.ones(len(values), dtype=bool)
    placed[list(problems)] = False
    positions = np.flatnonzero(placed)
    if not len(positions):
        return
    order = positions[np.argsort(keys[positions], kind="stable")]
    ordered = keys[order]
    for start, end in _runs(ordered):
        key = int(ordered[start])
        lines = values if end - start == len(values) else [values[i] for i in order[start:end].tolist()]
        routed.setdefault((key >> 32, key & 0xFFFF_FFFF), []).extend(lines)


class MessagePlacer:
    """Places rounds of one topic's messages into lines per file; counts quarantine reasons in ``reasons``."""

    def __init__(self, topic: str, bounds: TimeBounds, reasons: dict[str, int],
                 on_error: Callable[[Message], None]):
        self.topic = topic
        self.bounds = bounds
        self.reasons = reasons  # quarantine kind -> messages (the consumer's counts)
        self.on_error = on_error  # a message that carries a Kafka error instead of a value
        self._parser = simdjson.Parser()

    def place_round(self, messages: list[Message], batches: dict[int, PartitionBatch],
                    positions: dict[int, int | None]) -> tuple[Routed, Message | None]:
        """Parse and place one round; kept lean: no Python statement runs once per message on the common path.

        Opens a :class:`PartitionBatch` in ``batches`` for a partition without one (its base from
        ``positions``) and moves each batch's last offset; returns the round's lines per file and its
        newest message (None if the round held none). Each message's value and partition are read by
        ``map`` over the round, batches move once per run of a partition, the timestamps come from one
        comprehension over simdjson (:meth:`_stamps`), the byte checks of the fast path run once over
        the round's values joined (:func:`_clean`), and the lines are grouped per file by one sort
        (:func:`_group`).
        """
        if any(map(_ERROR, messages)):  # rare: a Kafka error (end of partition, transport) among the messages
            for msg in messages:
                if msg.error() is not None:
                    self.on_error(msg)
            messages = [msg for msg in messages if msg.error() is None]
        if not messages:
            return {}, None
        values = list(map(_VALUE, messages))
        partitions = np.fromiter(map(_PARTITION, messages), dtype=np.int64, count=len(messages))
        for start, end in _runs(partitions):
            partition = int(partitions[start])
            batch = batches.get(partition)
            if batch is None:
                batch = PartitionBatch(partition, messages[start].offset(), positions.get(partition))
                batches[partition] = batch
            batch.last_offset = messages[end - 1].offset()
            batch.last_message = messages[end - 1]
        fast, stamps, slow = self._stamps(values)
        if not _clean(values if fast is None else [values[i] for i in fast]):
            fast, stamps = self._screen(values, fast, stamps, slow)
        latest = self.bounds.latest()
        routed: Routed = {}
        if fast is None:  # every value of the round passed
            fast_values, fast_partitions = values, partitions
        else:
            fast_values, fast_partitions = [values[i] for i in fast], partitions[fast]
        if fast_values:
            placed = place_many(stamps, self.bounds, require_offset=True, latest=latest)
            _group(fast_partitions, placed.micros // MICROS_PER_HOUR, placed.problems, fast_values, routed)
            slow.extend(int(i) if fast is None else fast[i] for i in placed.problems)  # out of bounds, odd shapes
        for i in sorted(slow):
            self._place_slow(messages[i], latest, routed)
        return routed, messages[-1]

    def _stamps(self, values: list[bytes]) -> tuple[list[int] | None, pa.Array, list[int]]:
        """(positions the fast path parsed, or None for all of them; their timestamps; the other positions).

        The common round is one comprehension: simdjson parses each value and hands out its
        ``timestamp``, and joining the timestamps proves they are all strings. Anything else (a value
        that is not a JSON object, an invalid one, None, a timestamp that is not a string) makes the
        round go message by message, each such message to the reference path.
        """
        parse = self._parser.parse
        try:
            return None, arrow.texts([parse(value)["timestamp"] for value in values]), []
        except Exception:  # noqa: BLE001 - some message is not for the fast path: sort them one by one
            pass  # leaving this block lets go of any simdjson array or object the round held (see below)
        fast: list[int] = []
        stamps: list[str] = []
        slow: list[int] = []
        for i, value in enumerate(values):
            try:
                stamp = parse(value)["timestamp"]
            except Exception:  # noqa: BLE001 - not parsed here: the reference path says why
                stamp = None
            if type(stamp) is str:
                fast.append(i)
                stamps.append(stamp)
            else:
                stamp = None  # let go of a simdjson array or object now: the parser refuses to reparse while one lives
                slow.append(i)
        return fast, arrow.texts(stamps), slow

    @staticmethod
    def _screen(values: list[bytes], fast: list[int] | None, stamps: pa.Array,
                slow: list[int]) -> tuple[list[int], pa.Array]:
        """The fast path's byte checks one value at a time, for a round :func:`_clean` did not pass whole:
        an escape, a repeated key or a byte order mark sends a message to the reference (simdjson keeps
        the first of repeated keys, orjson the last, escapes could spell the key too, and only simdjson
        reads past a byte order mark); a value spread over several lines is re-serialised on one, as
        JSONL needs (in ``values``, in place)."""
        kept: tuple[list[int], list[str]] = ([], [])
        for i, stamp in zip(range(len(values)) if fast is None else fast, stamps.to_pylist(), strict=True):
            value = values[i]
            if _BACKSLASH in value or value.count(_STAMP) != 1 or value.startswith(_BOM):
                slow.append(i)
                continue
            values[i] = _one_line(value)
            kept[0].append(i)
            kept[1].append(stamp)
        return kept[0], arrow.texts(kept[1])

    def _place_slow(self, msg: Message, latest: datetime, routed: Routed) -> None:
        """The reference path for one message: an event line for its hour, or a quarantine record with the reason."""
        value = msg.value()
        answer = reference_placement(value, self.bounds, latest)
        if isinstance(answer, Placement):
            value = _one_line(value)
            key: int | str = int(answer.moment.timestamp()) // ONE_HOUR
        else:
            kind, stamp_ms = msg.timestamp()
            moment = datetime.fromtimestamp(stamp_ms / 1000, UTC) if kind and stamp_ms > 0 else datetime.now(UTC)
            key = moment.date().isoformat()
            value = quarantine_record(msg, answer, self.topic)
            self.reasons[answer.kind] = self.reasons.get(answer.kind, 0) + 1
        routed.setdefault((msg.partition(), key), []).append(value)
