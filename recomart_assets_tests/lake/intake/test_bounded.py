"""Bookkeeping stays small whatever the input: a one-line 50 MB landing file is kept as received,
while its reason, manifests, ledger entry and log lines quote at most a few hundred characters of
it, and every file the intake writes passes ``verify``."""

from __future__ import annotations

import hashlib
import json
import logging
import os

import pytest

from recomart_assets.lake import intake, read_manifest, verify_tree
from recomart_assets.sources import transactions
from recomart_assets.sources.clickstream import exports as clickstream_exports
from recomart_assets.text import REASON_CHARS
from recomart_assets_tests.fixtures.landing import HEADER, drop

BIG = 50 << 20
SMALL = 4096  # any manifest, reason file or ledger entry of these inputs fits in this


def bookkeeping_sizes(zone) -> dict[str, int]:
    found = {}
    for folder, _, files in os.walk(zone.root.path):
        for name in files:
            path = os.path.join(folder, name)
            if name.endswith((".manifest", ".json")) and not name.startswith("."):
                found[os.path.relpath(path, zone.root.path)] = os.path.getsize(path)
    return found


def assert_small_bookkeeping(zone, caplog) -> None:
    sizes = bookkeeping_sizes(zone)
    assert sizes and max(sizes.values()) < SMALL, sorted(sizes.items(), key=lambda kv: -kv[1])[:3]
    assert max(len(r.getMessage()) for r in caplog.records) < SMALL
    problems = verify_tree(zone.root).problems
    assert not problems, problems


def test_a_one_line_50_mb_file_is_quarantined_as_received_with_a_small_reason(zone, caplog):
    content = (HEADER + "," + "x" * (BIG - len(HEADER) - 1)).encode()  # one header line, one 50 MB extra column
    drop(zone, "huge.csv", content)
    caplog.set_level(logging.INFO)
    [outcome] = intake.run_pass(transactions.LANDING, zone).outcomes
    assert outcome.status == "quarantined"
    assert outcome.reason.startswith("unknown extra column(s): xxx") and len(outcome.reason) < REASON_CHARS + 100
    kept = zone.root / outcome.stored_as
    assert read_manifest(kept).md5 == hashlib.md5(content).hexdigest()  # the record itself, as received
    reason = json.loads(kept.with_name(kept.name + ".reason.json").read_bytes())["reason"]
    assert reason == outcome.reason
    assert_small_bookkeeping(zone, caplog)


def test_a_50_mb_column_name_accepted_by_a_source_keeps_its_manifests_small(zone, caplog):
    header = "user_id,product_id,event_type,timestamp,device," + "k" * BIG
    rows = "".join(f"U{i},P{i},view,2026-03-01T10:0{i}:00Z,web,v\n" for i in range(3)) + "U9,P9,view,never,web,v\n"
    drop(zone, "export.csv", header + "\n" + rows, folder="clickstream")
    caplog.set_level(logging.INFO)
    [outcome] = intake.run_pass(clickstream_exports.LANDING, zone).outcomes
    assert outcome.status == "ingested" and outcome.partitions == {"2026-03-01": 3} and outcome.rejected_rows == 1
    assert_small_bookkeeping(zone, caplog)


@pytest.mark.timeout(30)
def test_a_header_of_a_million_repeated_columns_is_judged_quickly_and_briefly(zone, caplog):
    drop(zone, "wide.csv", HEADER + ",a" * 1_000_000 + "\n")
    [outcome] = intake.run_pass(transactions.LANDING, zone).outcomes
    assert outcome.status == "quarantined" and outcome.reason.startswith("repeated column(s): a")
    assert_small_bookkeeping(zone, caplog)
