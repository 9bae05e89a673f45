"""A new broker is a new cluster: its offsets restart at 0 and must neither be skipped nor overwrite old files."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from recomart_assets.config import Settings
from recomart_assets.lake import RawZone, complete_files, verify_tree
from recomart_assets.simulate.clickstream import ProducedCounts, SessionGenerator, dirty_messages, produce_clickstream
from recomart_assets.sources.clickstream.batches import BATCH_FILE, batch_folders, cluster_tag
from recomart_assets.sources.clickstream.consumer import ConsumerOptions, run_consumer
from recomart_assets_tests.fixtures.kafka import (
    assert_contiguous,
    batch_ranges,
    embedded_broker,
    lake_messages,
)

pytestmark = pytest.mark.integration

DAYS = [date(2026, 3, 1)]
OPTIONS = ConsumerOptions(idle_exit=2, batch_size=400)


def batch_files(zone: RawZone) -> dict[str, tuple[bytes, dict]]:
    """Relative path -> (content, manifest source) of every complete batch file, events and quarantine."""
    files = {}
    for root in batch_folders(zone):
        for day in root.iterdir() if root.exists() else ():
            for path, manifest in complete_files(day, "*.jsonl"):
                files[str(path.relative_to(zone.root))] = (path.read_bytes(), manifest.source.to_source())
    return files


def produced_values(n_events: int, seed: int) -> Counter:
    events = SessionGenerator(seed).events(n_events, DAYS)
    return Counter(value for _, value in dirty_messages(events, 0.05, seed, ProducedCounts()))


def test_a_restarted_embedded_broker_is_a_new_cluster(settings: Settings, zone):
    settings = settings.replace(consumer_group="restarts")
    with embedded_broker(settings) as first:
        a = produce_clickstream(first, 1500, DAYS, seed=31, dirty_rate=0.05)
        assert run_consumer(first, OPTIONS, handle_signals=False).messages == a.messages
    old = batch_files(zone)
    (cluster_a,) = {source["cluster_id"] for _, source in old.values()}

    with embedded_broker(settings) as second:  # same topic and group, but offsets from 0 again
        b = produce_clickstream(second, 600, DAYS, seed=32, dirty_rate=0.05)
        assert run_consumer(second, OPTIONS, handle_signals=False).messages == b.messages

    now = batch_files(zone)
    assert {name: now[name] for name in old} == old  # every old file still there, byte for byte
    new = {name: source for name, (_, source) in now.items() if name not in old}
    (cluster_b,) = {source["cluster_id"] for source in new.values()}
    assert cluster_a != cluster_b and cluster_b.startswith("recomart-embedded-")
    assert all(BATCH_FILE.match(name.rsplit("/", 1)[-1])["cluster"] == cluster_tag(cluster_b) for name in new)

    assert lake_messages(zone) == produced_values(1500, 31) + produced_values(600, 32)
    assert_contiguous(batch_ranges(zone, settings.clickstream_topic, cluster_a), a.messages)
    assert_contiguous(batch_ranges(zone, settings.clickstream_topic, cluster_b), b.messages)
    result = verify_tree(zone.root)
    assert result.ok, result.problems
