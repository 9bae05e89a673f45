"""Versions: a file dropped again under the same name with new content is a new version.

Its rows are compared with the previous version's by the source's key column (how many ids
repeat: logged, both kept), and a correction (``<name>.replace``) records which of the previous
version's partition files it replaces, in the days it touches, so that finishing the intake
retracts them (protocol step 4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyarrow as pa
from upath import UPath

from recomart_assets.errors import IntakeError
from recomart_assets.lake.intake.contract import LandingSource
from recomart_assets.lake.intake.names import log_name, zone_relative
from recomart_assets.lake.intake.plan import LedgerEntry, Plan, previous_version_entry
from recomart_assets.lake.intake.split import Written, split_chunks
from recomart_assets.lake.placing import TimeBounds
from recomart_assets.lake.zone import RawZone
from recomart_assets.logs import get_logger

log = get_logger("intake")


def version_outputs(source: LandingSource, zone: RawZone, sha256: str, ingestion_day: str,
                    partitions: Mapping[str, int], outputs: Sequence[str] | None) -> dict[str, list[str]]:
    """A finished version's partition files by day (relative to the raw zone), rejects left out.

    ``outputs`` None: an intake from before they were recorded, whose daily files were named by the
    sha256 alone.
    """
    quarantine = zone.quarantine_dir(source.name, ingestion_day)
    rejects = zone_relative(zone, quarantine / source.rejects_file(sha256))
    if outputs is None:
        outputs = [zone_relative(zone, zone.partition_dir(source.name, day) / source.partition_file(sha256, None))
                   for day in partitions]
    by_day: dict[str, list[str]] = {}
    for relative in outputs:
        if relative != rejects:
            by_day.setdefault(UPath(relative).parent.name, []).append(relative)
    return by_day


def keys_of(source: LandingSource, zone: RawZone, entry: LedgerEntry, bounds: TimeBounds) -> pa.Array | None:
    """The key values the finished version ``entry`` placed, read again from its archived original."""
    original = zone.root / (entry.target or "")
    keys = [split.keys for _, split in split_chunks(original, source, entry.window(bounds)) if split.keys is not None]
    return pa.concat_arrays(keys) if keys else None


def compare_versions(source: LandingSource, zone: RawZone, plan: Plan, written: Written, bounds: TimeBounds) -> None:
    """Set the plan's repeated ids and, for a replacing version, what of the previous one it retracts."""
    entry = previous_version_entry(source, zone, plan)
    if entry is None:
        return
    if plan.replaces:
        previous = version_outputs(source, zone, entry.sha256, entry.ingestion_day, entry.partitions, entry.outputs)
        plan.record_replacement(previous, written.counts)
    if source.key_column and written.keys:
        try:
            before = keys_of(source, zone, entry, bounds)
        except (OSError, IntakeError):
            log.warning("cannot read the previous version of %s to compare ids", log_name(plan.name), exc_info=True)
            return
        if before is not None:
            import pyarrow.compute as pc  # only here: its import costs every other intake's start-up

            ours = pc.unique(pa.concat_arrays(written.keys))
            plan.repeated_ids = int(pc.sum(pc.is_in(ours, value_set=pc.unique(before))).as_py() or 0)
