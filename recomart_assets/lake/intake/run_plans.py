"""What a sensor decides: the runs to request for the landing folder, and its new cursor.
Changes nothing on disk (a preview tick is harmless); every move happens in the runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from recomart_assets.lake.intake.contract import LandingSource
from recomart_assets.lake.intake.identity import content_sha256
from recomart_assets.lake.intake.names import landing_path, log_name, name_key, storable
from recomart_assets.lake.intake.plan import ledger_entry
from recomart_assets.lake.intake.scan import DEFAULT_SETTLE_SECONDS, scan_landing
from recomart_assets.lake.zone import RawZone
from recomart_assets.logs import get_logger

log = get_logger("intake")


@dataclass(frozen=True)
class RunPlan:
    """A run a sensor should request: which landing entry, under which run key."""

    name: str  # as :func:`storable` writes it (run configs hold text that is valid UTF-8)
    run_key: str
    sha256: str = ""  # the content the sensor saw ("" for a link or a refused name: never read)


def plan_runs(
    source: LandingSource, zone: RawZone, known: Mapping[str, Mapping[str, Any]],
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
) -> tuple[list[RunPlan], dict[str, dict[str, Any]]]:
    """A sensor's decisions: the runs to request, and the new cursor state. Changes nothing on disk.

    ``known`` maps entries already requested to the size/mtime they had then: those are not hashed
    or requested again while unchanged. A new content gets a run keyed by its sha256 (Dagster never
    launches a run key twice); a content already in the ledger gets a run that sets the copy aside
    (or, when an error of the split quarantined it, one that tries again); a content whose run is
    pending under another name waits for that run; a link or a refused name gets a run that refuses it.
    """
    scan = scan_landing(source, zone, settle_seconds)
    still_known: dict[str, dict[str, Any]] = {}
    pending: set[str] = set()
    for entry in [*scan.links, *scan.refused, *scan.ready]:
        seen = known.get(entry.name)
        if seen and seen["size"] == entry.size and seen["mtime_ns"] == entry.mtime_ns:
            still_known[entry.name] = dict(seen)
            pending.add(seen["sha256"])
    plans: list[RunPlan] = []
    for kind, entries in (("link", scan.links), ("name", scan.refused)):
        for entry in entries:
            if entry.name not in still_known:
                plans.append(RunPlan(storable(entry.name), f"refuse-{kind}-{entry.mtime_ns}-{name_key(entry.name)}"))
                still_known[entry.name] = {"size": entry.size, "mtime_ns": entry.mtime_ns, "sha256": ""}
    for entry in scan.ready:
        if entry.name in still_known:
            continue
        try:
            sha256 = content_sha256(landing_path(source, zone, entry.name))
        except OSError:  # gone meanwhile (another pass took it) or unreadable: next tick decides
            log.warning("cannot read %s landing file %s yet", source.name, log_name(entry.name), exc_info=True)
            continue
        finished = ledger_entry(source, zone, sha256)
        if finished is not None:
            kind = "retry" if finished.error else "duplicate"
            run_key = f"{kind}-{sha256}-{entry.mtime_ns}-{name_key(entry.name)}"
        elif sha256 in pending:
            continue
        else:
            run_key = sha256
        pending.add(sha256)
        plans.append(RunPlan(entry.name, run_key, sha256))
        still_known[entry.name] = {"size": entry.size, "mtime_ns": entry.mtime_ns, "sha256": sha256}
    return plans, still_known
