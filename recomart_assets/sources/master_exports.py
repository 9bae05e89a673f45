"""The master exports (product catalog, customers) and their sync into the raw zone.

One implementation for ``recomart ingest-master`` and the ``product_catalog``/``customers``
assets. Values are read as strings, exactly as exported, so the raw zone keeps records as
received; validation judges them later. The export is read completely before anything is
written, so a missing or unreadable export leaves the previous raw files untouched.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

import pandas as pd
from upath import UPath

from recomart_assets import datasets
from recomart_assets.config import Settings
from recomart_assets.errors import MasterExportError
from recomart_assets.lake import steps
from recomart_assets.lake.frames import LakeFrame, frame_writer, serialize_frame, store_frame, write_latest_if_newer
from recomart_assets.lake.lineage import MasterExport
from recomart_assets.lake.manifest import Manifest
from recomart_assets.lake.zone import RawZone
from recomart_assets.logs import ingestion_run

# The datasets synced from master exports (their spec names the export file).
MASTER_DATASETS = tuple(spec.name for spec in datasets.specs() if spec.master_export)

# The sync's protocol (docs/protocol.md), per dataset in MASTER_DATASETS order: the day's snapshot
# and its manifest, then the latest copy and its manifest.
steps.declare("master.snapshot-written", "master.latest-written")


def export_path(settings: Settings, dataset: str) -> UPath:
    """Where the master export of ``dataset`` is read from: its spec's ``master_export`` name in
    ``RECOMART_MASTER_EXPORTS`` (only datasets of :data:`MASTER_DATASETS` have one)."""
    return UPath(settings.master_exports_dir) / datasets.get(dataset).master_export


def read_master_export(settings: Settings, dataset: str) -> LakeFrame:
    """The export as a frame of strings plus its lineage (file, sha256, modification time)."""
    path = export_path(settings, dataset)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise MasterExportError(
            f"{dataset}: master export {path} is missing (run `recomart simulate master` to create sample exports)"
        ) from exc
    except OSError as exc:
        raise MasterExportError(f"{dataset}: cannot read master export {path}: {exc}") from exc
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise MasterExportError(f"{dataset}: master export {path} is not a readable CSV: {exc}") from exc
    source = MasterExport(
        file=path.name, sha256=hashlib.sha256(data).hexdigest(), read_at=datetime.now(UTC).isoformat(timespec="seconds")
    )
    return LakeFrame(frame, source)


def ingest_master(settings: Settings, day: str) -> dict[str, Manifest]:
    """Sync both exports into partition ``day`` and the latest files; creates the raw-zone tree.

    Both exports are read before anything is written, so one bad export changes nothing. Each
    file is replaced atomically with its manifest after it, so a sync killed at any point leaves
    every file old or new, and the next sync (a rerun) rewrites them all from the exports.
    """
    zone = RawZone.from_settings(settings)
    zone.create_tree()
    with ingestion_run("master", partition=day) as run:
        frames = {dataset: read_master_export(settings, dataset) for dataset in MASTER_DATASETS}
        manifests = {}
        for dataset, lake_frame in frames.items():
            with frame_writer(zone, dataset, day):
                manifests[dataset] = store_frame(zone, dataset, day, lake_frame, fmt="csv")
                steps.reached("master.snapshot-written")
                write_latest_if_newer(zone, dataset, serialize_frame(lake_frame.frame, "csv"), manifests[dataset])
                steps.reached("master.latest-written")
            run.counts[dataset] = manifests[dataset].record_count
            run.files.append(manifests[dataset].file)
    return manifests
