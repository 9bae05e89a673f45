"""The intake's entry points: one landing file by name (:func:`ingest_file`, the sensors' runs) and
one pass over the landing folder (:func:`run_pass`, ``recomart ingest-transactions``). Both take
the intake lock and recover first; one bad file never stops a pass."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from recomart_assets.errors import UnsafeName
from recomart_assets.lake.intake.contract import LandingSource
from recomart_assets.lake.intake.ingest import ingest_content, refuse
from recomart_assets.lake.intake.names import landing_path, log_name, name_problem, storable
from recomart_assets.lake.intake.outcome import FileOutcome, PassResult
from recomart_assets.lake.intake.recover import recover
from recomart_assets.lake.intake.scan import DEFAULT_SETTLE_SECONDS, scan_landing
from recomart_assets.lake.intake.state import intake_lock
from recomart_assets.lake.placing import TimeBounds
from recomart_assets.lake.zone import RawZone
from recomart_assets.logs import get_logger, ingestion_run
from recomart_assets.text import excerpt

log = get_logger("intake")

WAIT_MARGIN_SECONDS = 10.0  # a one-shot pass waits up to the settle window plus this for a settling file


def _on_disk(source: LandingSource, zone: RawZone, name: str) -> str:
    """The landing entry ``name`` stands for: itself, or the entry whose :func:`storable` form it is
    (a name with bytes that are not UTF-8 travels through run configs escaped)."""
    folder = source.landing_dir(zone)
    if not zone.is_local or not folder.exists():
        return name
    entries = os.listdir(folder.path)
    if name in entries:
        return name
    return next((entry for entry in entries if storable(entry) == name), name)


def ingest_file(source: LandingSource, zone: RawZone, name: str, bounds: TimeBounds | None = None) -> FileOutcome:
    """Ingest one landing file by name (the sensors' runs and the one-shot passes all come here)."""
    bounds = bounds or TimeBounds()
    name = _on_disk(source, zone, name)
    try:
        path = landing_path(source, zone, name)
    except UnsafeName as exc:
        return refuse(source, zone, name, str(exc))
    with intake_lock(source, zone):
        recover(source, zone, bounds)
        if zone.is_local and path.is_symlink():
            return refuse(source, zone, name, "symbolic link: not followed")
        if not path.is_file():
            return FileOutcome(name, "missing", reason="no such file in the landing folder")
        problem = name_problem(name)
        if problem:
            return refuse(source, zone, name, problem)
        with ingestion_run(source.name, log, file=log_name(name)) as record:
            outcome = ingest_content(source, zone, name, path, bounds)
            record.counts.update(records=outcome.records, rejected=outcome.rejected_rows,
                                 partitions=len(outcome.partitions))
            if outcome.repeated_ids:
                record.counts["repeated_ids"] = outcome.repeated_ids
            record.files.append(outcome.stored_as or name)
        return outcome


def guarded(name: str, action: Callable[..., FileOutcome], *args: Any) -> FileOutcome:
    """Run ``action`` for one landing entry; an error is logged and returned, never raised."""
    try:
        return action(*args)
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the pass
        log.exception("intake of %s failed; it stays in the landing folder", log_name(name))
        return FileOutcome(name, "failed", reason=excerpt(f"{type(exc).__name__}: {exc}"))


def run_pass(source: LandingSource, zone: RawZone, settle_seconds: float = DEFAULT_SETTLE_SECONDS,
             bounds: TimeBounds | None = None, max_wait: float = 0.0) -> PassResult:
    """One pass over the landing folder: every complete file ingested, quarantined, refused or set aside.

    A problem with one file is logged and recorded; it never stops the others. With ``max_wait``
    (seconds) the pass also waits for files that are still settling, re-scanning until they have
    settled or the time is up; the ones still growing then are reported as ``waiting``.
    """
    deadline = time.monotonic() + max_wait
    with intake_lock(source, zone):
        recover(source, zone, bounds)
    result = PassResult()
    while True:
        scan = scan_landing(source, zone, settle_seconds)
        for link in scan.links:
            result.outcomes.append(guarded(link.name, refuse, source, zone, link.name, "symbolic link: not followed"))
        for entry in [*scan.refused, *scan.ready]:
            result.outcomes.append(guarded(entry.name, ingest_file, source, zone, entry.name, bounds))
        result.waiting = scan.waiting
        remaining = deadline - time.monotonic()
        if not scan.waiting or remaining <= 0:
            return result
        pause = min(remaining, max(0.05, (scan.settles_at or 0.0) - time.time()))
        log.info("waiting up to %.1f s for %d settling file(s): %s", remaining, len(scan.waiting),
                 ", ".join(log_name(n) for n in scan.waiting))
        time.sleep(pause)  # until the first waiting file can have settled, then look again
