"""A real Tansu broker on a free loopback port for the whole session, and helpers around it."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import orjson
import pytest

from recomart_assets.lake import RawZone, complete_files
from recomart_assets.settings import Settings
from recomart_assets.simulate.broker import broker_process, ensure_topic
from recomart_assets.simulate.processes import free_port
from recomart_assets.sources.clickstream_lake import BATCH_FILE, batch_folders

# The consume command with logging but without the rest of the CLI: quick to start, as the kill -9
# test restarts it often.
CONSUME = (
    "from recomart_assets.logs import configure_logging; from recomart_assets.settings import Settings; "
    "configure_logging(Settings.from_env()); from recomart_assets.commands.consume import command; command()"
)


@pytest.fixture(scope="session")
def broker(tmp_path_factory) -> str:
    port = free_port()
    log_path = str(tmp_path_factory.mktemp("broker") / "tansu.log")
    settings = Settings.from_env({"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}"})
    with broker_process(settings, "127.0.0.1", port, log_path=log_path):
        yield settings.kafka_bootstrap_servers


@contextmanager
def embedded_broker(settings: Settings, partitions: int = 3) -> Iterator[Settings]:
    """A broker of its own (a new cluster) on a free port, the clickstream topic created; stopped on exit."""
    port = free_port()
    configured = replace(settings, kafka_bootstrap_servers=f"127.0.0.1:{port}")
    with broker_process(configured, "127.0.0.1", port):
        ensure_topic(configured, partitions=partitions)
        yield configured


@pytest.fixture
def kafka_settings(settings: Settings, broker: str) -> Settings:
    """Settings on the test broker with a fresh 3-partition topic and consumer group."""
    tag = uuid.uuid4().hex[:8]
    configured = replace(settings, kafka_bootstrap_servers=broker, clickstream_topic=f"clicks_{tag}",
                         consumer_group=f"group_{tag}")
    ensure_topic(configured, partitions=3)
    return configured


def consumer_env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
            "RECOMART_RAW_ZONE": settings.raw_zone, "RECOMART_CLICKSTREAM_TOPIC": settings.clickstream_topic,
            "RECOMART_CONSUMER_GROUP": settings.consumer_group}


def start_consumer(settings: Settings, *args: str, log_path=None) -> subprocess.Popen:
    """``recomart consume ARGS`` as a subprocess (its own session, so signals reach only it)."""
    output = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen([sys.executable, "-c", CONSUME, *args], env=consumer_env(settings),
                            stdout=output, stderr=subprocess.STDOUT, start_new_session=True)


def lake_messages(zone: RawZone) -> Counter:
    """Every message value the raw zone holds: event lines, and quarantined originals."""
    held: Counter = Counter()
    for root in batch_folders(zone):
        if not root.exists():
            continue
        for day in root.iterdir():
            for path, _ in complete_files(day, "*.jsonl"):
                for line in path.read_bytes().splitlines():
                    if "quarantine" in path.parts:
                        held[base64.b64decode(orjson.loads(line)["value_b64"])] += 1
                    else:
                        held[line] += 1
    return held


def batch_ranges(zone: RawZone, topic: str, cluster_id: str | None = None) -> dict[int, list[tuple[int, int]]]:
    """partition -> sorted (start, end) offset ranges of the batches in the lake (of one cluster, if given)."""
    ranges: dict[int, set[tuple[int, int]]] = {}
    for root in batch_folders(zone):
        if not root.exists():
            continue
        for day in root.iterdir():
            for path, manifest in complete_files(day, "*.jsonl"):
                source = manifest.source
                if (BATCH_FILE.match(path.name) and source.get("topic") == topic
                        and cluster_id in (None, source.get("cluster_id"))):
                    ranges.setdefault(source["partition"], set()).add(
                        (source["batch_start_offset"], source["batch_end_offset"]))
    return {p: sorted(r) for p, r in ranges.items()}


def assert_contiguous(ranges: dict[int, list[tuple[int, int]]], total: int) -> None:
    """Batches of each partition tile 0..end without gap or overlap, and cover ``total`` offsets."""
    covered = 0
    for partition, spans in ranges.items():
        expected_start = 0
        for start, end in spans:
            assert start == expected_start, f"partition {partition}: gap or overlap at {start} ({spans})"
            expected_start = end + 1
        covered += expected_start
    assert covered == total
