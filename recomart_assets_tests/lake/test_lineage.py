"""Typed lineage: written with its type, read back typed, older and unknown objects kept."""

from __future__ import annotations

import pytest

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

EXAMPLES = [
    KafkaBatch(topic="t", partition=0, batch_start_offset=1, batch_end_offset=9, supersedes=["a.jsonl"]),
    LandingFile(landing_file="drop.csv", sha256="ab", lines=[1, 4]),
    HttpPull(url="http://api", fetched_at="2026-01-05T06:00:00Z", failed_attempts={"503": 1}),
    MasterExport(file="customers.csv", sha256="cd", read_at="2026-01-05T23:45:00Z"),
    Derived(derived="seal", inputs={"files": 2}),
    Manual(by="ops", command="acknowledge"),
]


@pytest.mark.parametrize("lineage", EXAMPLES, ids=lambda x: type(x).__name__)
def test_round_trip(lineage):
    source = lineage.to_source()
    assert source["type"] == lineage.kind and None not in source.values()
    assert parse_lineage(source) == lineage


def test_a_version_1_landing_lineage_is_recognised_by_its_keys():
    assert parse_lineage({"landing_file": "drop.csv", "sha256": "ab"}) == LandingFile(landing_file="drop.csv",
                                                                                      sha256="ab")


@pytest.mark.parametrize("source", [{"type": "someone_else", "x": 1}, {"type": "kafka", "topic": "t"}, {}, {"type": 3}])
def test_unknown_or_incomplete_lineage_is_kept_as_received(source):
    lineage = parse_lineage(source)
    assert isinstance(lineage, UnknownLineage) and lineage.to_source() == source
