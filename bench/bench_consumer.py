"""Clickstream consumer throughput against a bare confluent-kafka loop, in the same run.

Produces N generated events to a fresh topic on the embedded broker (started on a free port), then:
1. a bare loop that only reads and counts the N messages (the ceiling on this machine);
2. ``recomart consume --max-events N`` in a subprocess, writing them all to a temporary raw zone
   (files, manifests, fsyncs, commits);
3. the same consumer on N/4 events, to show its peak memory does not grow with the event count.
Prints both rates (measured from the first message received to the last one handled), their
ratio (target >= 0.6) and the consumer's peak RSS (target <= 300 MB).

    python bench/bench_consumer.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta

from confluent_kafka import Consumer

from recomart_assets.config import Settings, child_environ
from recomart_assets.platform.broker import broker_process, ensure_topic
from recomart_assets.platform.services import free_port
from recomart_assets.simulate.clickstream import produce_clickstream

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


def bare_loop(settings: Settings, topic: str, n_events: int) -> float:
    """Messages per second of a loop that reads and counts, nothing else."""
    consumer = Consumer(settings.kafka_config(**{"group.id": f"bench-bare-{uuid.uuid4().hex[:8]}",
                                                 "auto.offset.reset": "earliest", "enable.auto.commit": False,
                                                 "session.timeout.ms": 6000}))
    consumer.subscribe([topic])
    count, first = 0, None
    while count < n_events:
        messages = consumer.consume(10_000, 1.0)
        if messages and first is None:
            first = time.perf_counter()
        for msg in messages:
            if msg.error() is None and msg.value() is not None:
                count += 1
    elapsed = time.perf_counter() - first
    consumer.close()
    return count / elapsed


def recomart_consume(settings: Settings, topic: str, n_events: int) -> tuple[float, float]:
    """(messages per second, peak RSS in MB) of ``recomart consume`` into a fresh raw zone."""
    with tempfile.TemporaryDirectory(prefix="bench-lake-") as lake:
        env = child_environ(settings.replace(raw_zone=lake, clickstream_topic=topic,
                                             consumer_group=f"bench-lake-{uuid.uuid4().hex[:8]}"))
        result = subprocess.run([sys.executable, "-c", _MEASURED_CONSUME, "consume", "--max-events", str(n_events),
                                 "--idle-exit", "60"],
                                env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(f"recomart consume failed:\n{result.stderr[-3000:]}")
        summary = dict(item.split("=", 1) for item in result.stdout.strip().splitlines()[-1].split())
        if int(summary["messages"]) != n_events:
            raise SystemExit(f"consumer wrote {summary['messages']} of {n_events} messages")
        peak_mb = int(result.stderr.strip().splitlines()[-1].split("=", 1)[1]) / 1024
        return float(summary["rate"]), peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    port = free_port()
    settings = Settings.from_env().replace(kafka_bootstrap_servers=f"127.0.0.1:{port}")
    topic = f"bench_clickstream_{uuid.uuid4().hex[:8]}"
    days = [date.today() - timedelta(days=1)]  # one busy day of traffic
    with broker_process(settings, "127.0.0.1", port):
        ensure_topic(settings, topic, partitions=3)
        started = time.perf_counter()
        produce_clickstream(settings, args.events, days, topic=topic)
        print(f"produced {args.events:,} events in {time.perf_counter() - started:.1f}s")
        small_rate, small_peak = recomart_consume(settings, topic, args.events // 4)
        bare = bare_loop(settings, topic, args.events)
        rate, peak = recomart_consume(settings, topic, args.events)
    print(f"bare confluent-kafka loop : {bare:12,.0f} messages/s")
    print(f"recomart consume (lake)   : {rate:12,.0f} messages/s")
    print(f"ratio                     : {rate / bare:12.2f}   (target >= 0.6)")
    print(f"consumer peak memory      : {peak:12.0f} MB for {args.events:,} events, "
          f"{small_peak:.0f} MB for {args.events // 4:,} (target <= 300 MB, flat)")


if __name__ == "__main__":
    main()
