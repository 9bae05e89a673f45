"""Recovery: finish every intake a crash interrupted, from the raw zone alone (``docs/protocol.md``,
"Landing intake", the crash table). Called at the start of every pass and sensor run, under the lock."""

from __future__ import annotations

from recomart_assets.errors import IntakeError
from recomart_assets.lake.intake.contract import LandingSource
from recomart_assets.lake.intake.identity import inspect_file
from recomart_assets.lake.intake.ingest import abandon, complete, finish
from recomart_assets.lake.intake.names import landing_path, log_name
from recomart_assets.lake.intake.plan import Plan
from recomart_assets.lake.intake.snapshot import settle_staging, snapshot_path
from recomart_assets.lake.intake.state import decode_state
from recomart_assets.lake.placing import TimeBounds
from recomart_assets.lake.zone import RawZone
from recomart_assets.logs import get_logger

log = get_logger("intake")


def recover(source: LandingSource, zone: RawZone, bounds: TimeBounds | None = None) -> list[str]:
    """Finish every intake a crash interrupted; returns the landing names finished.

    A marker whose split was decided is finished (move, manifest, ledger, release); a marker still
    splitting is split again from its snapshot (identical bytes overwrite identical bytes) while its
    landing entry is still there (whatever it holds now: a changed file is released as the next
    version), or taken back when its producer withdrew the file (or, from before snapshots, no
    snapshot exists). Then every claim is settled and snapshots no marker needs are dropped. The
    caller holds the intake lock, which removed the temporary files a killed intake left.
    """
    folder = source.state_dir(zone, "inflight")
    finished: list[str] = []
    for marker in sorted(folder.glob("*.json"), key=lambda p: p.name) if folder.exists() else ():
        plan = decode_state(marker.read_bytes(), Plan)
        snapshot = snapshot_path(source, zone, plan.sha256)
        if not plan.decided and not (snapshot.exists() and landing_path(source, zone, plan.name).exists()):
            log.warning("%s left the landing folder (or its split left no snapshot) before the split was decided: "
                        "taking back %d file(s)", log_name(plan.name), len(plan.outputs))
            abandon(source, zone, plan)
            continue
        log.info("completing the interrupted intake of %s (sha256 %s)", log_name(plan.name), plan.sha256[:16])
        try:
            if plan.decided:
                finish(source, zone, plan)
            else:
                complete(source, zone, plan, snapshot, inspect_file(snapshot), bounds or TimeBounds())
        except (OSError, IntakeError):
            log.exception("cannot complete the intake of %s; its marker stays in %s", log_name(plan.name), folder)
            continue
        finished.append(plan.name)
    settle_staging(source, zone)
    return finished
