"""Scan: what the landing folder holds, sorted into complete files, files still growing, links and
refused names. Only looks (``lstat``): nothing is opened, moved or written, so a sensor may call it."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from recomart_assets.lake.intake.contract import LandingSource
from recomart_assets.lake.intake.names import is_ignored, name_problem
from recomart_assets.lake.zone import RawZone

DEFAULT_SETTLE_SECONDS = 2.0


@dataclass(frozen=True)
class LandingEntry:
    """One entry of the landing folder as the scan saw it (size and mtime tell a sensor it changed)."""

    name: str
    size: int
    mtime_ns: int


@dataclass
class LandingScan:
    """The landing folder sorted by what the intake will do with each entry."""

    ready: list[LandingEntry] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # still being written
    links: list[LandingEntry] = field(default_factory=list)  # symbolic links: refused, never followed
    refused: list[LandingEntry] = field(default_factory=list)  # complete files whose name is refused
    settles_at: float | None = None  # when the first waiting file will have settled (epoch seconds)


def scan_landing(source: LandingSource, zone: RawZone, settle_seconds: float = DEFAULT_SETTLE_SECONDS) -> LandingScan:
    """Sort what is in the landing folder into complete files, files still growing and links.

    Regular files directly in the folder, under any name the filesystem allows; ``.tmp``/``.part``
    and hidden names wait, as do files modified in the last ``settle_seconds``.
    """
    scan = LandingScan()
    folder = source.landing_dir(zone)
    if not folder.exists():
        return scan
    now = time.time()
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        name = path.name
        if is_ignored(name):
            continue
        if zone.is_local and path.is_symlink():
            link = os.lstat(path.path)
            scan.links.append(LandingEntry(name, link.st_size, link.st_mtime_ns))
            continue
        if not path.is_file():
            continue  # folders such as landing/clickstream/ belong to other sources
        stat = path.stat()
        mtime = float(getattr(stat, "st_mtime", 0.0) or 0.0)
        if now - mtime < settle_seconds:
            scan.waiting.append(name)
            settles = mtime + settle_seconds
            scan.settles_at = settles if scan.settles_at is None else min(scan.settles_at, settles)
            continue
        entry = LandingEntry(name, int(stat.st_size), int(mtime * 1e9))
        (scan.refused if name_problem(name) else scan.ready).append(entry)
    return scan
