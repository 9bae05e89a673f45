"""Re-derivation (backfills): the archive holds every original with the days it fed, so the same
split rebuilds any of those partitions byte for byte, leaving out what a later version replaced."""

from __future__ import annotations

from collections.abc import Iterator

from upath import UPath

from recomart_assets.errors import CorruptFileError, IntakeError
from recomart_assets.lake.intake.contract import LandingSource
from recomart_assets.lake.intake.identity import inspect_file
from recomart_assets.lake.intake.plan import Plan
from recomart_assets.lake.intake.split import take_back, write_partitions
from recomart_assets.lake.intake.state import intake_lock
from recomart_assets.lake.intake.versions import version_outputs
from recomart_assets.lake.lineage import LandingFile
from recomart_assets.lake.manifest import Manifest, read_manifest
from recomart_assets.lake.placing import TimeBounds
from recomart_assets.lake.zone import RawZone


def archived_sources(source: LandingSource, zone: RawZone) -> Iterator[tuple[UPath, Manifest]]:
    """Archived originals (not duplicates) with their manifests."""
    folder = zone.archive_dir(source.name)
    if not folder.exists():
        return
    for day_dir in sorted(folder.iterdir(), key=lambda p: p.name):
        if day_dir.name == "duplicates" or not day_dir.is_dir():
            continue
        for path in sorted(day_dir.iterdir(), key=lambda p: p.name):
            manifest = read_manifest(path) if not path.name.endswith(".manifest") else None
            if manifest is not None and manifest.format == "csv":
                yield path, manifest


def rederive_partitions(source: LandingSource, zone: RawZone, days: frozenset[str],
                        bounds: TimeBounds | None = None) -> dict[str, int]:
    """Rebuild ``days`` from the archive, byte-identical to the original intake; records per day.

    Rows a later version replaced stay out (and their files, if a crash left any, are removed).
    """
    with intake_lock(source, zone):
        return _rederive(source, zone, days, bounds or TimeBounds())


def _rederive(source: LandingSource, zone: RawZone, days: frozenset[str], bounds: TimeBounds) -> dict[str, int]:
    totals: dict[str, int] = {}
    archived = list(archived_sources(source, zone))
    replaced = {(m.source.previous_version, day) for _, m in archived if isinstance(m.source, LandingFile)
                for day in m.source.replaced_partitions or ()}
    for path, manifest in archived:
        lineage = manifest.source
        if not isinstance(lineage, LandingFile):
            raise CorruptFileError(f"{path}: archived file without a landing-file lineage in its manifest")
        expected = {d: n for d, n in (lineage.records_by_partition or {}).items()
                    if d in days and (manifest.sha256, d) not in replaced}
        for day in {d for sha, d in replaced if sha == manifest.sha256 and d in days}:
            take_back(zone, version_outputs(source, zone, manifest.sha256, lineage.ingestion_day or "",
                                            lineage.records_by_partition or {}, lineage.outputs,
                                            ).get(day, []))
        if not expected:
            continue
        facts = inspect_file(path)
        if facts.md5 != manifest.md5 or facts.size != manifest.bytes:
            raise CorruptFileError(f"{path}: archived file does not match its manifest")
        plan = Plan(manifest.sha256, lineage.landing_file, lineage.ingestion_day or "",
                    placed_until=lineage.placed_until or "",
                    previous_version=lineage.previous_version, replaces=bool(lineage.replaces))
        counts = write_partitions(source, zone, path, plan, bounds, only_days=frozenset(expected)).counts
        if counts != expected:
            raise IntakeError(f"{path}: re-derived {counts}, the original intake placed {expected}")
        for day, n in counts.items():
            totals[day] = totals.get(day, 0) + n
    return totals
