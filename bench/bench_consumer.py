"""Clickstream consumer throughput against a bare confluent-kafka loop, in the same run, on one broker.

For each traffic shape (``live``: timestamps rising over one day; ``scattered``: timestamps spread
at random over three days, as when apps flush offline buffers) it produces N + D generated events
to a fresh 3-partition topic on the embedded broker (started on a free port), then measures:

1. a bare loop (a fresh interpreter of its own) that reads with ``consume(10000)`` and counts, timed from its first message to its
   last (the ceiling on this machine), before and after the consumer runs, once with the client's
   defaults and once with the fetch backoff our consumer sets (``fetch.queue.backoff.ms``: with the
   default of 1 s, librdkafka pauses a partition's fetching whenever 100,000 messages wait, so
   the bare loop alone swings between about 0.5M and 1.4M messages/s from run to run); the ratio is
   taken against the faster of the two, the strongest baseline;
2. ``recomart consume --max-events N`` and ``--max-events N+D`` in subprocesses, each into a fresh
   temporary raw zone: the steady-state rate is the marginal one, D / (busy(N+D) - busy(N)), so
   start-up and group joins cancel out;
3. the data files per (day, hour, Kafka partition) the N+D run wrote, before and after sealing
   every day (sealing merges an hour's files when it has more than two), and the same for a run
   with small batches (``--batch-size 50000``, the old default), where an hour gets many files;
4. each consumer's peak resident memory (VmHWM of the child), to show it stays flat as N grows;
5. two ``recomart consume`` members in one group reading the N+D events together (from the first
   message of either to the last round either placed: each closes its last batch only on exit);
6. floors: the bare loop (with our fetch backoff) plus only what any consumer of this raw zone must
   do with a round's bytes: append them as JSON Lines on a writer thread; also md5 them (the
   manifest's checksum); also ``orjson.loads`` each message. No placement, manifests or offsets, so
   each floor's ratio bounds what a consumer doing that much work can reach here.

Prints rates, ratios (targets: live >= 0.6, scattered >= 0.5), files per day-hour-partition
(target <= 2 after sealing) and peak memory (target <= 300 MB). The machine may be shared: run it
twice and quote both.

    python bench/bench_consumer.py [--warmup 200000] [--delta 800000] [--shapes live scattered]
                                   [--py-spy FILE]   # profile the N+D run of the first shape
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
from confluent_kafka import Producer

from recomart_assets.config import Settings, child_environ
from recomart_assets.lake import RawZone, complete_files
from recomart_assets.platform.broker import broker_process, ensure_topic
from recomart_assets.platform.services import free_port
from recomart_assets.simulate.clickstream import IST, SessionGenerator, produce_clickstream
from recomart_assets.sources.clickstream.batches import BATCH_FILE, DATASET, MERGED_FILE
from recomart_assets.sources.clickstream.consumer import CONSUMER_TUNING
from recomart_assets.sources.clickstream.seal import seal_partition

PARTITIONS = 3

# `recomart ...` that reports its own peak resident memory on its way out. VmHWM, not ru_maxrss:
# Linux carries ru_maxrss over from the forking parent (this script, big after producing).
_MEASURED_CONSUME = """
import sys
from recomart_assets.cli import main
try:
    main(sys.argv[1:])
finally:
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM"))
    print(f"peak_rss_kb={peak}", file=sys.stderr)
"""


def produce_scattered(settings: Settings, topic: str, n_events: int, days: list[date], seed: int = 5) -> None:
    """``n_events`` generated events whose timestamps fall at random over ``days`` (arrival order unrelated)."""
    rng = random.Random(seed)
    start = datetime(days[0].year, days[0].month, days[0].day, tzinfo=UTC)
    span = len(days) * 86_400
    producer = Producer(settings.kafka_config(**{"linger.ms": 50, "batch.num.messages": 10_000,
                                                 "queue.buffering.max.messages": 200_000}))
    for i, event in enumerate(SessionGenerator(seed).events(n_events, days)):
        moment = start + timedelta(seconds=rng.uniform(0, span))
        event["timestamp"] = moment.astimezone(UTC if event["device"] == "web" else IST).isoformat(
            timespec="milliseconds")
        while True:
            try:
                producer.produce(topic, value=orjson.dumps(event), key=event["user_id"].encode())
                break
            except BufferError:
                producer.poll(0.1)
        if i % 10_000 == 0:
            producer.poll(0)
    if producer.flush(120):
        raise SystemExit("scattered events were not all delivered")


# The bare loop, run as a process of its own (as a user's script would be, and as our consumer is): in
# this script, which holds the produced events, its garbage collections traversed that heap and made
# the baseline vary from 169k to 320k messages/s between runs of the same data.
_BARE_LOOP = """
import json, sys, time, uuid
from confluent_kafka import Consumer
config, topic, n_events = json.loads(sys.stdin.read()), sys.argv[1], int(sys.argv[2])
consumer = Consumer({**config, "group.id": f"bench-bare-{uuid.uuid4().hex[:8]}", "auto.offset.reset": "earliest",
                     "enable.auto.commit": False, "session.timeout.ms": 6000})
consumer.subscribe([topic])
count, first = 0, None
deadline = time.monotonic() + 600
while count < n_events and time.monotonic() < deadline:
    messages = consumer.consume(10_000, 1.0)
    if messages and first is None:
        first = time.perf_counter()
    count += sum(1 for msg in messages if msg.error() is None)  # no other per-message work
elapsed = time.perf_counter() - first
consumer.close()
print(count, elapsed)
"""


def bare_loop(settings: Settings, topic: str, n_events: int, tuned: bool = False) -> float:
    """Messages per second of a loop that reads with consume(10000) and counts, first message to last,
    in a fresh interpreter (``tuned``: with our consumer's fetch backoff)."""
    return timed_loop("bare loop", _BARE_LOOP, settings, topic, n_events, tuned)


def timed_loop(name: str, script: str, settings: Settings, topic: str, n_events: int, tuned: bool,
               *args: str) -> float:
    """Run a loop ``script`` (printing its message count and seconds) in a fresh interpreter; its rate.
    The client settings (secrets too) go on its stdin, never on the command line."""
    tuning = {"fetch.queue.backoff.ms": CONSUMER_TUNING["fetch.queue.backoff.ms"]} if tuned else {}
    done = subprocess.run([sys.executable, "-c", script, topic, str(n_events), *args],
                          input=json.dumps(settings.kafka_config(tuning)),
                          capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {name} failed:\n{done.stderr[-3000:]}")
    count, elapsed = done.stdout.split()
    if int(count) != n_events:
        raise SystemExit(f"{name} read {count} of {n_events} messages")
    return int(count) / float(elapsed)


# Floors: the bare loop plus only what any consumer of this raw zone must do with each round's bytes,
# no placement, no manifests, no offsets: join the values into JSON Lines and append them to one file
# on a writer thread (as our appender does), then also the md5 the manifest needs, then also one
# orjson.loads per message (the least per-message parse in Python). How far each falls below the bare
# loop bounds the ratio any consumer with that much work can reach on this machine.
_FLOOR_LOOP = """
import hashlib, json, os, queue, sys, tempfile, threading, time, uuid
import orjson
from confluent_kafka import Consumer, Message
config, topic, n_events, work = json.loads(sys.stdin.read()), sys.argv[1], int(sys.argv[2]), sys.argv[3]
consumer = Consumer({**config, "group.id": f"bench-floor-{uuid.uuid4().hex[:8]}", "auto.offset.reset": "earliest",
                     "enable.auto.commit": False, "session.timeout.ms": 6000})
consumer.subscribe([topic])
rounds, md5 = queue.Queue(4), hashlib.md5()
def write(out):
    while (chunk := rounds.get()) is not None:
        out.write(chunk)
        if work != "write":
            md5.update(chunk)
count, first = 0, None
deadline = time.monotonic() + 600
with tempfile.TemporaryFile() as out:
    writer = threading.Thread(target=write, args=(out,))
    writer.start()
    while count < n_events and time.monotonic() < deadline:
        messages = consumer.consume(10_000, 1.0)
        if not messages:
            continue
        if first is None:
            first = time.perf_counter()
        values = list(map(Message.value, messages))
        if work == "write+md5+orjson":
            for value in values:
                orjson.loads(value)
        count += len(values)
        rounds.put(b"\\n".join(values) + b"\\n")
    rounds.put(None)
    writer.join()
    out.flush()
    os.fsync(out.fileno())
elapsed = time.perf_counter() - first
consumer.close()
print(count, elapsed)
"""
FLOORS = ("write", "write+md5", "write+md5+orjson")


def floor_loop(settings: Settings, topic: str, n_events: int, work: str) -> float:
    """Messages per second of the bare loop (with our fetch backoff) doing ``work`` (one of :data:`FLOORS`)
    with each round, first message to last write."""
    return timed_loop("floor loop", _FLOOR_LOOP, settings, topic, n_events, True, work)


def consume(settings: Settings, topic: str, lake: str, group: str, *args: str,
            py_spy: str | None = None) -> subprocess.Popen:
    """Start ``recomart consume ARGS`` into ``lake`` (optionally under py-spy)."""
    env = child_environ(settings.replace(raw_zone=lake, clickstream_topic=topic, consumer_group=group))
    command = [sys.executable, "-c", _MEASURED_CONSUME, "consume", *args]
    if py_spy:
        command = [str(Path(sys.executable).with_name("py-spy")), "record", "-o", py_spy, "-f", "raw", "-r", "100",
                   "--", *command]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen) -> tuple[dict[str, str], float]:
    """(the consumer's summary line as a dict, its peak RSS in MB)."""
    stdout, stderr = process.communicate(timeout=900)
    if process.returncode != 0:
        raise SystemExit(f"recomart consume failed:\n{stderr[-3000:]}")
    line = next(line for line in reversed(stdout.splitlines()) if line.startswith("messages="))
    summary = dict(item.split("=", 1) for item in line.split())
    peak = next(line for line in reversed(stderr.splitlines()) if line.startswith("peak_rss_kb="))
    return summary, int(peak.split("=", 1)[1]) / 1024


def recomart_consume(settings: Settings, topic: str, n_events: int, lake: str, *args: str,
                     py_spy: str | None = None) -> tuple[float, float]:
    """(busy seconds, peak RSS in MB) of ``recomart consume --max-events n_events ARGS`` into ``lake``."""
    process = consume(settings, topic, lake, f"bench-{uuid.uuid4().hex[:8]}", "--max-events", str(n_events),
                      "--idle-exit", "60", *args, py_spy=py_spy)
    summary, peak = finished(process)
    if int(summary["messages"]) != n_events:
        raise SystemExit(f"consumer wrote {summary['messages']} of {n_events} messages")
    return float(summary["busy_seconds"]), peak


def two_members(settings: Settings, topic: str, n_events: int, lake: str) -> tuple[float, int]:
    """(messages per second, messages) of two consumers in one group, from the first message of either
    to the last round either placed. Not to their last commit: each closes its last batch only when
    it exits, after ``--idle-exit``'s 6 idle seconds, which would count as busy time."""
    group = f"bench-pair-{uuid.uuid4().hex[:8]}"
    members = [consume(settings, topic, lake, group, "--idle-exit", "6") for _ in range(2)]
    summaries = [finished(member)[0] for member in members]
    messages = sum(int(s["messages"]) for s in summaries)
    if messages != n_events:
        raise SystemExit(f"two members wrote {messages} of {n_events} messages")
    starts = [float(s["first_message_at"]) for s in summaries if int(s["messages"])]
    ends = [float(s["last_placed_at"]) for s in summaries if int(s["messages"])]
    return messages / (max(ends) - min(starts)), messages


def files_per_hour(zone: RawZone) -> Counter:
    """(day, hour, partition) -> complete data files the consumer wrote there."""
    counts: Counter = Counter()
    root = zone.root / DATASET
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path, _ in complete_files(folder, "*.jsonl"):
            match = BATCH_FILE.match(path.name) or MERGED_FILE.match(path.name)
            if match:
                counts[(folder.name, match["hour"], int(match["partition"]))] += 1
    return counts


def sealed_counts(lake: str, topic: str) -> tuple[Counter, Counter]:
    """Files per (day, hour, partition) of the lake before and after sealing every day it holds."""
    zone = RawZone.at(lake)
    before = files_per_hour(zone)
    for day in sorted({day for day, _, _ in before}):
        seal_partition(zone, topic, day, force=True)
    return before, files_per_hour(zone)


def describe(counts: Counter) -> str:
    values = list(counts.values())
    return f"max {max(values)}, mean {sum(values) / len(values):.2f} over {len(values)} (day, hour, partition)"


def measure(settings: Settings, shape: str, warmup: int, delta: int, py_spy: str | None) -> None:
    topic = f"bench_{shape}_{uuid.uuid4().hex[:8]}"
    ensure_topic(settings, topic, partitions=PARTITIONS)
    total = warmup + delta
    yesterday = date.today() - timedelta(days=1)
    started = time.perf_counter()
    if shape == "live":
        produce_clickstream(settings, total, [yesterday], topic=topic)
    else:
        produce_scattered(settings, topic, total, [yesterday - timedelta(days=2 - i) for i in range(3)])
    print(f"[{shape}] produced {total:,} events in {time.perf_counter() - started:.1f}s", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-lake-") as small, \
            tempfile.TemporaryDirectory(prefix="bench-lake-") as big, \
            tempfile.TemporaryDirectory(prefix="bench-lake-") as pair, \
            tempfile.TemporaryDirectory(prefix="bench-lake-") as batches:
        bare_before = [bare_loop(settings, topic, total, tuned) for tuned in (False, True)]
        small_busy, small_peak = recomart_consume(settings, topic, warmup, small)
        big_busy, big_peak = recomart_consume(settings, topic, total, big, py_spy=py_spy)
        bare_after = [bare_loop(settings, topic, total, tuned) for tuned in (False, True)]
        floors = {work: floor_loop(settings, topic, total, work) for work in FLOORS}
        before_seal, after_seal = sealed_counts(big, topic)
        pair_rate, _ = two_members(settings, topic, total, pair)
        batches_busy, _ = recomart_consume(settings, topic, total, batches, "--batch-size", "50000")
        small_before_seal, small_after_seal = sealed_counts(batches, topic)
    defaults, tuned = ((before + after) / 2 for before, after in zip(bare_before, bare_after, strict=True))
    bare = max(defaults, tuned)
    rate = delta / (big_busy - small_busy)
    target = 0.6 if shape == "live" else 0.5
    print(f"[{shape}] bare confluent-kafka loop : {bare:10,.0f} messages/s, the faster of: defaults {defaults:,.0f} "
          f"({bare_before[0]:,.0f} before, {bare_after[0]:,.0f} after), our fetch backoff {tuned:,.0f} "
          f"({bare_before[1]:,.0f} before, {bare_after[1]:,.0f} after)")
    print(f"[{shape}] recomart consume, marginal: {rate:10,.0f} messages/s ({delta:,} events: "
          f"{big_busy:.2f}s for {total:,} - {small_busy:.2f}s for {warmup:,})")
    print(f"[{shape}] ratio                     : {rate / bare:10.2f}   (target >= {target})")
    print(f"[{shape}] floors (the bare loop plus only this per round; the most a consumer doing it can reach): "
          + "; ".join(f"{work} {floor:,.0f} messages/s ({floor / bare:.2f} x bare)" for work, floor in floors.items()))
    print(f"[{shape}] two members, one group    : {pair_rate:10,.0f} messages/s together, first message to last "
          f"placed ({pair_rate / bare:.2f} x bare)")
    print(f"[{shape}] files per (day, hour, partition): before sealing {describe(before_seal)}; "
          f"after sealing {describe(after_seal)} (target <= 2)")
    print(f"[{shape}] the same with --batch-size 50000 ({total / batches_busy:,.0f} messages/s): before sealing "
          f"{describe(small_before_seal)}; after sealing {describe(small_after_seal)}")
    print(f"[{shape}] consumer peak memory      : {big_peak:10.0f} MB for {total:,} events, {small_peak:.0f} MB "
          f"for {warmup:,} (target <= 300 MB, flat)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warmup", type=int, default=200_000, help="N: events of the shorter run")
    parser.add_argument("--delta", type=int, default=800_000, help="D: the extra events the marginal rate is taken over")
    parser.add_argument("--shapes", nargs="+", choices=("live", "scattered"), default=["live", "scattered"])
    parser.add_argument("--py-spy", help="write a py-spy raw profile of the first shape's N+D run to this file")
    args = parser.parse_args()
    port = free_port()
    settings = Settings.from_env().replace(kafka_bootstrap_servers=f"127.0.0.1:{port}")
    started = time.perf_counter()
    with broker_process(settings, "127.0.0.1", port):
        for index, shape in enumerate(args.shapes):
            measure(settings, shape, args.warmup, args.delta, args.py_spy if index == 0 else None)
    print(f"benchmark took {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
