"""Snapshot and release: the pass reads a landing file once, and lets go of it last.

The pass copies the landing file into a private snapshot while hashing it (so the snapshot is
exactly the bytes the sha256 names), and from then on splits, compares and archives only that
snapshot. The landing entry is let go last, by *claiming* it (an atomic rename into
``_state/<dataset>/claims/<sha256>/<name>``, so a file renamed over the landing name afterwards is
not touched) and then deleting the claim if its bytes are still that sha256, or putting it back
into the landing folder (a new version for the next pass) if they are not.
"""

from __future__ import annotations

from dataclasses import replace

from upath import UPath

from recomart_assets.lake.atomic import atomic_writer, move_into_place, put_back
from recomart_assets.lake.intake.contract import LandingSource
from recomart_assets.lake.intake.identity import FileFacts, content_sha256, inspect_stream, md5_beside
from recomart_assets.lake.intake.names import landing_path, log_name
from recomart_assets.lake.intake.state import marker_path
from recomart_assets.lake.zone import RawZone
from recomart_assets.logs import get_logger

log = get_logger("intake")


def _staging(source: LandingSource, zone: RawZone) -> UPath:
    return source.state_dir(zone, "staging")


def _claims(source: LandingSource, zone: RawZone) -> UPath:
    return source.state_dir(zone, "claims")


def snapshot_path(source: LandingSource, zone: RawZone, sha256: str) -> UPath:
    """Where the pass keeps its private copy of the content ``sha256`` until it is archived."""
    return _staging(source, zone) / sha256


def take_snapshot(source: LandingSource, zone: RawZone, path: UPath) -> tuple[UPath, FileFacts]:
    """Copy the landing file into the staging area while hashing it; the copy is named by its sha256.

    On a local raw zone the md5 (only the archive manifest needs it) is read back from the
    snapshot on another thread while the pass goes on to split it, instead of slowing the copy.
    """
    incoming = _staging(source, zone) / "incoming"
    with path.open("rb") as stream, atomic_writer(incoming) as writer:
        # inspect_stream hashes what it copies; the writer's own checksums would only repeat them
        facts = inspect_stream(stream, copy_to=writer.raw, md5=not zone.is_local)
    snapshot = snapshot_path(source, zone, facts.sha256)
    move_into_place(incoming, snapshot)
    if zone.is_local:
        facts = replace(facts, md5_pending=md5_beside(snapshot))
    return snapshot, facts


def release_landing(source: LandingSource, zone: RawZone, name: str, sha256: str) -> None:
    """Let go of the landing entry ``name`` once the content ``sha256`` is archived (or quarantined):
    removed if it still holds exactly those bytes, otherwise left in the landing folder."""
    landing = landing_path(source, zone, name)
    claim = _claims(source, zone) / sha256 / name
    if not claim.exists():
        if not landing.exists():
            return  # released before a crash, or taken away by its producer
        move_into_place(landing, claim)
    settle_claim(source, zone, claim)


def settle_claim(source: LandingSource, zone: RawZone, claim: UPath) -> None:
    """Delete a claimed landing entry whose bytes are the content its folder names; put any other
    back under its landing name (if that name is free; else it waits for a later pass)."""
    size = claim.stat().st_size
    if content_sha256(claim) == claim.parent.name:
        claim.unlink()
    else:
        landing = landing_path(source, zone, claim.name)
        if not put_back(claim, landing):
            log.warning("%s changed while it was ingested and its name is taken again; the changed copy waits "
                        "in %s for a later pass", log_name(claim.name), claim.parent)
            return
        log.warning("%s changed while it was ingested (%d bytes now): left in the landing folder as a new "
                    "version for the next pass", log_name(claim.name), size)
    # On object storage a folder is gone with its last object (nothing to remove).
    if zone.is_local and not any(claim.parent.iterdir()):
        claim.parent.rmdir()


def settle_staging(source: LandingSource, zone: RawZone) -> None:
    """Settle every claim, and drop snapshots no in-flight marker needs (a pass that died before its
    marker: the landing file is still there and is identified again)."""
    claims = _claims(source, zone)
    for folder in sorted(claims.iterdir(), key=lambda p: p.name) if claims.exists() else ():
        for claim in list(folder.iterdir()):
            settle_claim(source, zone, claim)
    staging = _staging(source, zone)
    for snapshot in list(staging.iterdir()) if staging.exists() else ():
        if not marker_path(source, zone, snapshot.name).exists():
            snapshot.unlink()
