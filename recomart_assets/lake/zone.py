"""The raw-zone layout: every path the platform reads or writes is named here.

The root is a :class:`upath.UPath`, so ``./raw_zone``, ``memory://lake`` and ``s3://bucket/prefix``
all work through the same code. See the "Raw-zone layout" section of the README.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from upath import UPath

from recomart_assets import datasets

if TYPE_CHECKING:  # the one bridge from the settings to the lake: only its type is needed here
    from recomart_assets.config import Settings


# Dataset name (manifests, reports, asset checks) -> folder under the raw zone, and the "latest" flat
# copies kept beside the daily snapshots: both read from the dataset specs (call, since a test may
# register a dataset after import).
def dataset_folders() -> dict[str, str]:
    """Dataset -> its folder in the zone, read at call time so datasets registered later count."""
    return {spec.name: spec.folder for spec in datasets.specs()}


def latest_files() -> dict[str, str]:
    """Dataset -> its "latest" copy, for the datasets that keep one beside their daily snapshots."""
    return {spec.name: spec.latest_file for spec in datasets.specs() if spec.latest_file}


# Object stores whose fsspec filesystems cache directory listings for the life of the process: a
# long-lived process (the Dagster code server running the landing sensor) would never see files
# that another process wrote, and ``exists()`` would even deny them. The raw zone turns it off.
LISTING_CACHE_PROTOCOLS = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss"}

# Object storage has no empty folders: create_tree writes this hidden marker into each one
# (readers and verify skip hidden names).
FOLDER_MARKER = ".keep"


def is_local_path(path: UPath) -> bool:
    """Whether the path is on this machine's file system (local files allow renames and symlinks)."""
    return path.protocol in ("", "file", "local")


def day_key(day: date | str) -> str:
    """``YYYY-MM-DD`` for a date or an already formatted (and checked) key."""
    if isinstance(day, date):
        return day.isoformat()
    return date.fromisoformat(day).isoformat()


@dataclass(frozen=True)
class RawZone:
    """The raw zone's layout in one place, so no module builds a zone path by hand."""

    root: UPath

    @classmethod
    def from_settings(cls, settings: Settings) -> RawZone:
        """The zone the settings name (``RECOMART_RAW_ZONE``): the one bridge from settings to the lake."""
        return cls.at(settings.raw_zone)

    @classmethod
    def at(cls, root: str | UPath) -> RawZone:
        """A zone rooted at ``root``; a local root is made absolute (runs may change directory)."""
        path = UPath(root)
        if is_local_path(path):
            return cls(path.absolute())
        if path.protocol in LISTING_CACHE_PROTOCOLS and "use_listings_cache" not in path.storage_options:
            path = UPath(str(path), **{**path.storage_options, "use_listings_cache": False})
        return cls(path)

    @property
    def is_local(self) -> bool:
        """Whether the zone is a local folder (not an object store)."""
        return is_local_path(self.root)

    def partition_dir(self, dataset: str, day: date | str) -> UPath:
        """``<dataset folder>/<day>/``: one day's files and manifests of the dataset."""
        return self.root / datasets.get(dataset).folder / day_key(day)

    def latest_file(self, dataset: str) -> UPath:
        """The dataset's "latest" copy (KeyError for a dataset that keeps none)."""
        latest = datasets.get(dataset).latest_file
        if latest is None:
            raise KeyError(f"dataset {dataset!r} keeps no latest file")
        return self.root / latest

    @property
    def landing(self) -> UPath:
        """``landing/``: where files arrive before they are placed."""
        return self.root / "landing"

    @property
    def clickstream_landing(self) -> UPath:
        """``landing/clickstream/``: the consumer's own landing folder."""
        return self.landing / "clickstream"

    def archive_dir(self, dataset: str) -> UPath:
        """``archive/<dataset>/``: the originals of landed files, kept by content hash after they were taken in."""
        return self.root / "archive" / dataset

    def quarantine_dir(self, dataset: str, day: date | str) -> UPath:
        """The day's quarantine folder of the dataset: records set aside rather than dropped."""
        return self.root / datasets.get(dataset).quarantine_folder / day_key(day)

    def reports_dir(self, day: date | str) -> UPath:
        """``reports/<day>/``: the day's data quality reports."""
        return self.root / "reports" / day_key(day)

    @property
    def acknowledgements_dir(self) -> UPath:
        """``quality/acknowledgements/``: one JSON file per acknowledged quality finding."""
        return self.root / "quality" / "acknowledgements"

    @property
    def logs_dir(self) -> UPath:
        """``_logs/``: log files, kept in the zone so they outlive the process that wrote them."""
        return self.root / "_logs"

    def log_file(self, name: str) -> str | None:
        """Local path of ``_logs/<name>`` (folder created), or None on object storage (no log files)."""
        if not self.is_local:
            return None
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        return self.logs_dir.path + "/" + name

    @property
    def state_dir(self) -> UPath:
        """Internal bookkeeping (ledgers of processed files, consumer watermarks)."""
        return self.root / "_state"

    def create_tree(self) -> list[UPath]:
        """Create every top-level folder of the layout (idempotent); returns them."""
        folders = [
            self.landing,
            self.clickstream_landing,
            *(self.root / folder for folder in dataset_folders().values()),
            self.archive_dir("transactions"),
            self.archive_dir("clickstream"),
            self.root / "quarantine",
            self.root / "reports",
            self.state_dir,
        ]
        if self.is_local:
            folders.append(self.logs_dir)
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
            if not self.is_local and not (folder / FOLDER_MARKER).exists():
                (folder / FOLDER_MARKER).write_bytes(b"")
        return folders
