"""The pass reads a private snapshot named by its sha256, and lets go of the landing entry last:
removed when it still holds those bytes, put back (a new version) when it changed meanwhile."""

from __future__ import annotations

import hashlib

from recomart_assets.lake.intake.plan import Plan
from recomart_assets.lake.intake.snapshot import (
    release_landing,
    settle_claim,
    settle_staging,
    snapshot_path,
    take_snapshot,
)
from recomart_assets.sources.transactions import LANDING
from recomart_assets_tests.fixtures.landing import drop

CONTENT = b"transaction_id\nT1\n"
SHA = hashlib.sha256(CONTENT).hexdigest()


def claim(zone, sha256: str, name: str, data: bytes):
    path = LANDING.state_dir(zone, "claims") / sha256 / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_the_snapshot_is_a_copy_named_by_its_sha256(zone):
    drop(zone, "a.csv", CONTENT)
    snapshot, facts = take_snapshot(LANDING, zone, zone.landing / "a.csv")
    assert facts.sha256 == SHA and facts.md5 == hashlib.md5(CONTENT).hexdigest() and facts.size == len(CONTENT)
    assert snapshot == snapshot_path(LANDING, zone, SHA) and snapshot.read_bytes() == CONTENT
    assert (zone.landing / "a.csv").read_bytes() == CONTENT  # the landing file is not touched
    assert sorted(p.name for p in snapshot.parent.iterdir()) == [SHA]  # no staging leftovers


def test_an_unchanged_landing_file_is_removed_on_release(zone):
    drop(zone, "a.csv", CONTENT)
    release_landing(LANDING, zone, "a.csv", SHA)
    assert not (zone.landing / "a.csv").exists()
    assert not (LANDING.state_dir(zone, "claims") / SHA).exists()  # the claim folder is gone too
    release_landing(LANDING, zone, "a.csv", SHA)  # released already (a crash after it): nothing to do


def test_a_landing_file_that_changed_meanwhile_stays_as_the_next_version(zone):
    drop(zone, "a.csv", CONTENT + b"T2\n")
    release_landing(LANDING, zone, "a.csv", SHA)
    assert (zone.landing / "a.csv").read_bytes() == CONTENT + b"T2\n"
    assert not (LANDING.state_dir(zone, "claims") / SHA).exists()


def test_a_changed_claim_waits_while_its_name_is_taken_again(zone):
    held = claim(zone, SHA, "a.csv", b"changed")
    drop(zone, "a.csv", b"newer")
    settle_claim(LANDING, zone, held)
    assert held.read_bytes() == b"changed" and (zone.landing / "a.csv").read_bytes() == b"newer"
    (zone.landing / "a.csv").unlink()
    settle_staging(LANDING, zone)  # a later pass puts it back
    assert (zone.landing / "a.csv").read_bytes() == b"changed" and not held.exists()


def test_settling_the_staging_area_keeps_only_snapshots_a_marker_needs(zone):
    needed, stray = snapshot_path(LANDING, zone, SHA), snapshot_path(LANDING, zone, "cd" * 32)
    needed.parent.mkdir(parents=True)
    needed.write_bytes(CONTENT)
    stray.write_bytes(b"a pass that died before its marker")
    Plan(SHA, "a.csv", "2026-03-01").save(LANDING, zone)
    claimed = claim(zone, SHA, "a.csv", CONTENT)
    settle_staging(LANDING, zone)
    assert needed.exists() and not stray.exists()
    assert not claimed.exists() and not (zone.landing / "a.csv").exists()
