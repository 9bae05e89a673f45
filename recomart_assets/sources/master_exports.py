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
from recomart_assets.lake.frames import LakeFrame, store_frame
from recomart_assets.lake.lineage import MasterExport
from recomart_assets.lake.manifest import Manifest
from recomart_assets.lake.zone import RawZone
from recomart_assets.logs import ingestion_run

# The datasets synced from master exports (their spec names the export file).
MASTER_DATASETS = tuple(spec.name for spec in datasets.specs() if spec.master_export)


def export_path(settings: Settings, dataset: str) -> UPath:
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
    return LakeFrame(frame, source.to_source())


def ingest_master(settings: Settings, day: str) -> dict[str, Manifest]:
    """Sync both exports into partition ``day`` and the latest files; creates the raw-zone tree.

    Both exports are read before anything is written, so one bad export changes nothing.
    """
    zone = RawZone.from_settings(settings)
    zone.create_tree()
    with ingestion_run("master", partition=day) as run:
        frames = {dataset: read_master_export(settings, dataset) for dataset in MASTER_DATASETS}
        manifests = {
            dataset: store_frame(zone, dataset, day, lake_frame, fmt="csv", latest=True)
            for dataset, lake_frame in frames.items()
        }
        for dataset, manifest in manifests.items():
            run.counts[dataset] = manifest.record_count
            run.files.append(manifest.file)
    return manifests
