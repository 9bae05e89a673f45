"""The day's referenced datasets as the cross-table checks see them, loaded once per run.

Which datasets and key columns are referenced comes from the specs (``DatasetSpec.references``):
every referenced ``(dataset, key)`` gets the day's ids, whatever the dataset. The category charts
also need the day's catalog (product -> category). The partitions are read (and verified) once per process for a given set of files: the key is the files'
names and md5s from the manifests, so a day whose catalog changed is read again, and a Dagster run
(in-process executor: every check and the report in one process) reads them once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from recomart_assets import datasets
from recomart_assets.lake import RawZone, complete_files
from recomart_assets.quality.engines.loading import PartitionData, load_partition
from recomart_assets.quality.engines.outcome import InputFile
from recomart_assets.quality.rules.schemas import ReferenceKey, References

CACHED_DAYS = 8


@dataclass(frozen=True)
class ReferenceData:
    """Ids of each referenced ``(dataset, key)``, the product -> category map, and the files read."""

    references: References = field(default_factory=References)
    categories: pd.Series | None = None
    files: dict[str, list[InputFile]] = field(default_factory=dict)  # reference dataset -> its files

    def files_json(self) -> dict[str, list[dict[str, str]]]:
        """``{reference dataset: [{"file", "md5"}]}``: the reference files as a metric state records them, so a state
        is stale once a referenced day changes."""
        return {name: [f.to_dict() for f in files] for name, files in self.files.items()}


def reference_keys() -> list[ReferenceKey]:
    """Every ``(dataset, key column)`` some spec's references look values up in."""
    return sorted({(ref.dataset, ref.key) for spec in datasets.specs() for ref in spec.references})


def reference_datasets() -> list[str]:
    """Datasets that other datasets' checks look values up in (and the catalog, for the categories)."""
    return sorted({dataset for dataset, _ in reference_keys()})


def partition_files(zone: RawZone, dataset: str, day: date | str) -> list[InputFile]:
    """The partition's complete files and their md5s, from the manifests (nothing read)."""
    pattern = datasets.get(dataset).file_pattern
    return [InputFile(path.name, manifest.md5) for path, manifest in complete_files(zone.partition_dir(dataset, day), pattern)]


def _ids(data: PartitionData, column: str) -> pd.Index | None:
    """The column's distinct non-missing values (None when the partition or the column is missing)."""
    if data.frame is None or column not in data.frame.columns:
        return None
    return pd.Index(data.frame[column].dropna().unique())


def reference_data_of(loaded: dict[str, PartitionData]) -> ReferenceData:
    """Build the references from the loaded partitions of the referenced datasets: a key whose
    dataset (or column) is missing for the day has no ids, so its checks warn that they did not run."""
    catalog = loaded.get(datasets.CATALOG.name)
    categories = None
    if catalog is not None and catalog.frame is not None and {"product_id", "category"} <= set(catalog.frame.columns):
        pairs = catalog.frame.dropna(subset=["product_id"]).drop_duplicates("product_id")
        categories = pd.Series(pairs["category"].to_numpy(), index=pairs["product_id"].to_numpy())
    ids = {}
    for dataset, key in reference_keys():
        found = _ids(loaded[dataset], key) if dataset in loaded else None
        if found is not None:
            ids[(dataset, key)] = found
    refs = References(ids)
    return ReferenceData(refs, categories, {name: data.files for name, data in loaded.items()})


_cache: OrderedDict[tuple, ReferenceData] = OrderedDict()
_lock = threading.Lock()


def load_references(zone: RawZone, day: date | str) -> ReferenceData:
    """The day's references, read once per process for the same files (see the module docstring)."""
    names = reference_datasets()
    key = (str(zone.root), str(day), tuple((name, tuple(partition_files(zone, name, day))) for name in names))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    loaded = reference_data_of({name: load_partition(zone, name, day) for name in names})
    with _lock:
        _cache[key] = loaded
        while len(_cache) > CACHED_DAYS:
            _cache.popitem(last=False)
    return loaded


def reference_files(zone: RawZone, day: date | str) -> dict[str, list[dict[str, str]]]:
    """The references' files and md5s for ``day``, from the manifests (what a state's freshness needs)."""
    return {name: [f.to_dict() for f in partition_files(zone, name, day)] for name in reference_datasets()}
