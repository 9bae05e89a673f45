"""Every writer's manifests read back as typed lineage and written again byte for byte.

``Manifest.source`` is a typed lineage in memory and the JSON object only on disk: reading a
manifest and writing it again must give the same bytes (same keys, same order), for what each
writer produces, including what the consumer adds while a batch is open and the seal's segments.
"""

from __future__ import annotations

from datetime import datetime

from recomart_assets.lake import intake, read_manifest
from recomart_assets.lake.lineage import (
    Derived,
    HttpPull,
    KafkaBatch,
    LandingFile,
    Manual,
    MasterExport,
    UnknownLineage,
    parse_lineage,
)
from recomart_assets.lake.manifest import MANIFEST_SUFFIX, Manifest
from recomart_assets.quality.changes.acknowledgements import new_acknowledgement, write_acknowledgement
from recomart_assets.simulate.master import write_master_exports
from recomart_assets.sources.clickstream.seal import SEAL_FILE, seal_partition
from recomart_assets.sources.clickstream.spool import ONE_HOUR, PartitionBatch, open_spool
from recomart_assets.sources.http.metadata_api import pull_metadata
from recomart_assets.sources.master_exports import ingest_master
from recomart_assets.sources.transactions import LANDING
from recomart_assets_tests.fixtures.landing import csv_text, drop, row
from recomart_assets_tests.fixtures.metric_states import state, write_states

DAY = "2026-03-01"
CLUSTER = "test-cluster"


def round_trips(root) -> dict[str, Manifest]:
    """Every manifest under ``root``, each checked to give its own bytes back; by data file path."""
    found = {}
    for path in sorted(root.rglob(f"*{MANIFEST_SUFFIX}")):
        raw = path.read_bytes()
        manifest = Manifest.from_json(raw)
        assert manifest.to_json() == raw, path
        found[str(path.relative_to(root)).removesuffix(MANIFEST_SUFFIX)] = manifest
    return found


def consumer_batch(zone, start: int, count: int, hour: int, *, topic_id: str | None, last_message: str | None):
    """One consumer batch of partition 1 as the consumer writes it (lineage completed when it closes)."""
    batch = PartitionBatch(1, start, None)
    key = int(datetime.fromisoformat(f"{DAY}T{hour:02d}:00:00+00:00").timestamp()) // ONE_HOUR
    spool = open_spool(zone, "t", "group", batch, key, CLUSTER, 0, topic_id)
    for offset in range(start, start + count):
        spool.handle.write(b'{"event_id":"e-%d","event_type":"view"}\n' % offset, records=1)
    spool.close(batch_end_offset=start + count - 1, batch_files=1, last_message=last_message)
    return spool.path


def test_consumer_batches_and_the_seals_merged_files_round_trip(zone):
    first = consumer_batch(zone, 0, 5, 10, topic_id=None, last_message=None)  # nulls stay nulls
    for start in (5, 10, 15):
        consumer_batch(zone, start, 5, 10, topic_id="topic-1", last_message=f"fp-{start}")
    batch = read_manifest(first).source
    assert isinstance(batch, KafkaBatch) and batch.log_epoch == 0 and batch.topic_id is None
    assert b'"topic_id": null' in (first.parent / (first.name + MANIFEST_SUFFIX)).read_bytes()
    seal_partition(zone, "t", DAY, force=True)
    manifests = round_trips(zone.root)
    merged = [m.source for m in manifests.values() if isinstance(m.source, KafkaBatch) and m.source.segments]
    assert [s["batch_start_offset"] for s in merged[0].segments or ()] == [0, 5, 10]  # the newest batch stays
    assert isinstance(manifests[f"clickstream/{DAY}/{SEAL_FILE}"].source, Derived)
    assert not [n for n, m in manifests.items() if isinstance(m.source, UnknownLineage)]


def test_landing_intake_pull_master_states_and_acknowledgements_round_trip(zone, settings, clean_api, api_settings):
    drop(zone, "orders.csv", csv_text([row(1, "2026-03-01T10:00:00Z"), row(2, "2026-03-01T10:30:00Z"),
                                          row(3, "2026-03-02T11:00:00Z")]))
    intake.run_pass(LANDING, zone)
    pull_metadata(api_settings(clean_api), DAY)
    write_master_exports(settings, seed=7, n_products=5, n_customers=5, dirty_rate=0.0)
    ingest_master(settings, DAY)
    write_states(zone, "clickstream", {DAY: state(DAY)})
    write_acknowledgement(zone, new_acknowledgement("clickstream", "row_count", "ana", "known gap", "2026-03-02"))
    kinds = {type(m.source) for m in round_trips(zone.root).values()}
    assert {LandingFile, HttpPull, MasterExport, Derived, Manual} <= kinds
    lines = [m.source.lines for m in round_trips(zone.root).values()
             if isinstance(m.source, LandingFile) and m.source.lines]
    assert sorted(lines) == [[2, 3], [4, 4]]  # each day's file: its first and last line of the original


def test_another_tools_lineage_is_kept_as_received():
    raw = {"type": "kafka", "topic": "t", "partition": 1, "batch_start_offset": 0, "batch_end_offset": 1,
           "tool_specific": {"x": [1, 2]}}
    lineage = parse_lineage(raw)
    assert isinstance(lineage, UnknownLineage) and lineage.to_source() == raw
    assert parse_lineage({}).to_source() == {}
    assert isinstance(parse_lineage({"landing_file": "a.csv", "sha256": "0" * 64}), LandingFile)  # version 1
