"""The scan sorts the landing folder (complete, growing, links, refused names) and only looks."""

from __future__ import annotations

import os
import time
from dataclasses import replace

from recomart_assets.lake.intake.scan import scan_landing
from recomart_assets.sources.transactions import LANDING
from recomart_assets_tests.fixtures.landing import drop, tree_snapshot


def test_the_scan_sorts_the_landing_folder_without_touching_it(zone, tmp_path):
    drop(zone, "b.csv", "x")
    drop(zone, "a.csv", "xyz")
    drop(zone, "growing.csv", "x", age=0)
    drop(zone, "bad\x07name.csv", "x")
    for ignored in (".hidden.csv", "upload.csv.tmp", "upload.PART"):
        drop(zone, ignored, "x")
    (zone.landing / "clickstream").mkdir(exist_ok=True)  # another source's folder
    (tmp_path / "target.csv").write_text("x")
    os.symlink(tmp_path / "target.csv", os.path.join(zone.landing.path, "link.csv"))
    before = tree_snapshot(zone)
    started = time.time()
    scan = scan_landing(LANDING, zone, settle_seconds=30)
    assert tree_snapshot(zone) == before
    assert [(e.name, e.size) for e in scan.ready] == [("a.csv", 3), ("b.csv", 1)]
    assert abs(scan.ready[0].mtime_ns - os.stat(os.path.join(zone.landing.path, "a.csv")).st_mtime_ns) < 1000
    assert scan.waiting == ["growing.csv"] and started + 29 < scan.settles_at < time.time() + 30
    assert [e.name for e in scan.links] == ["link.csv"]
    assert [e.name for e in scan.refused] == ["bad\x07name.csv"]


def test_a_file_is_ready_once_it_settled(zone):
    drop(zone, "a.csv", "x", age=5)
    assert [e.name for e in scan_landing(LANDING, zone, settle_seconds=10).ready] == []
    assert [e.name for e in scan_landing(LANDING, zone, settle_seconds=1).ready] == ["a.csv"]


def test_a_missing_landing_folder_holds_nothing(zone):
    in_a_folder = replace(LANDING, dataset=replace(LANDING.dataset, landing_folder="never-created"))
    scan = scan_landing(in_a_folder, zone)
    assert (scan.ready, scan.waiting, scan.links, scan.refused, scan.settles_at) == ([], [], [], [], None)
