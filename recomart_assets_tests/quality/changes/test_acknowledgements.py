"""Acknowledgements: written with a manifest, read back, matched by name or pattern and by partition."""

from __future__ import annotations

import pytest

from recomart_assets.errors import AcknowledgementError
from recomart_assets.lake import read_manifest, verify_tree
from recomart_assets.quality.changes.acknowledgements import (
    Acknowledgement,
    annotate,
    match,
    new_acknowledgement,
    read_acknowledgements,
    write_acknowledgement,
)


def ack(metric="volume:device=android", until="2026-03-20", since=None, dataset="clickstream") -> Acknowledgement:
    return Acknowledgement(dataset, metric, "ana", "android release 7.4 drops events", until, since, "2026-03-01T00:00Z")


def test_an_acknowledgement_is_a_verified_file_read_back_as_written(zone):
    written = new_acknowledgement("clickstream", "volume:device=android", "ana", "known release bug", "2026-03-20",
                                  since="2026-03-05")
    path = write_acknowledgement(zone, written)
    assert path.parent == zone.acknowledgements_dir and path.name == f"clickstream-{written.id}.json"
    assert read_manifest(path).source.to_source() == {"type": "manual", "by": "ana", "command": "recomart acknowledge"}
    assert read_acknowledgements(zone) == [written]
    assert verify_tree(zone.root).ok


def test_it_covers_its_partitions_and_then_expires():
    acks = [ack(since="2026-03-05")]
    assert match(acks, "clickstream", "volume:device=android", "2026-03-20").active == acks[0]
    assert match(acks, "clickstream", "volume:device=android", "2026-03-04").warns  # before it starts
    late = match(acks, "clickstream", "volume:device=android", "2026-03-21")
    assert late.warns and late.expired == acks[0]
    assert match(acks, "transactions", "volume:device=android", "2026-03-10").warns  # another dataset
    assert match(acks, "clickstream", "volume:device=web", "2026-03-10").warns  # another metric


def test_a_pattern_covers_several_metrics_and_the_longest_acknowledgement_wins():
    acks = [ack("null_share:*", until="2026-03-12"), ack("null_share:product_id", until="2026-03-30")]
    assert match(acks, "clickstream", "null_share:session_id", "2026-03-10").active == acks[0]
    assert match(acks, "clickstream", "null_share:product_id", "2026-03-10").active == acks[1]


def test_annotate_keeps_the_finding_and_says_why_it_no_longer_warns():
    acks = [ack()]
    finding = {"dataset": "clickstream", "metric": "volume:device=android", "value": 12}
    assert annotate(finding, acks, "2026-03-10") is False
    assert finding["acknowledged"] == {"id": acks[0].id, "by": "ana", "why": "android release 7.4 drops events",
                                       "until": "2026-03-20"}
    expired = {"dataset": "clickstream", "metric": "volume:device=android"}
    assert annotate(expired, acks, "2026-03-25") is True and expired["acknowledgement_expired"]["until"] == "2026-03-20"
    check = {"dataset": "clickstream", "name": "device: one of web|ios|android"}
    assert annotate(check, [ack("check:device: *")], "2026-03-10", metric=f"check:{check['name']}") is False


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"dataset": "clicks"}, "unknown dataset 'clicks'"),
    ({"until": "next week"}, "until must be a date"),
    ({"since": "2026-04-01"}, "since (2026-04-01) is after until (2026-03-20)"),
    ({"why": " "}, "lacks why"),
])
def test_bad_acknowledgements_are_refused_clearly(kwargs, message):
    arguments = {"dataset": "clickstream", "metric": "row_count", "by": "ana", "why": "known", "until": "2026-03-20",
                 **kwargs}
    with pytest.raises(AcknowledgementError, match=message.replace("(", r"\(").replace(")", r"\)")):
        new_acknowledgement(**arguments)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"by": "ana\nb1b2c3d4e5f6  clickstream  *  until 2099-01-01  by root: forged"}, "--by must be one line"),
    ({"why": "known\x1b[2Jcleared"}, "--why must be printable"),
    ({"why": "w" * 5000}, "--why is 5000 characters long"),
    ({"metric": "bogus:price"}, "matches no known metric family"),
    ({"metric": "row_count\r"}, "METRIC must be one line"),
    ({"metric": "*"}, "--all-metrics"),
    ({"metric": "*:price"}, "--all-metrics"),
    ({"metric": "check:*"}, "--all-metrics"),
])
def test_arguments_are_one_printable_bounded_line_naming_a_known_metric_family(kwargs, message):
    arguments = {"dataset": "clickstream", "metric": "row_count", "by": "ana", "why": "known", "until": "2026-03-20",
                 **kwargs}
    with pytest.raises(AcknowledgementError, match=message.replace("*", r"\*")):
        new_acknowledgement(**arguments)


@pytest.mark.parametrize("metric", ["row_count", "null_share:*", "psi:price", "schema", "freshness",
                                    "check:rating: in_range(1, 5)", "volume:device=*", "check:rating*"])
def test_usual_names_and_patterns_need_no_flag(metric):
    assert not new_acknowledgement("clickstream", metric, "ana", "known", "2026-03-20").all_metrics


def test_a_pattern_silencing_everything_is_recorded_with_its_explicit_flag(zone):
    written = new_acknowledgement("clickstream", "*", "ana", "migration week", "2026-03-20", all_metrics=True)
    write_acknowledgement(zone, written)
    (read,) = read_acknowledgements(zone)
    assert read.all_metrics and read.sweeping and read == written
    assert not ack().sweeping
