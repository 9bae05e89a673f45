"""The raw zone: layout, atomic writes, manifests, verified readers and ``verify``."""

from recomart_assets.lake.atomic import atomic_writer, write_bytes_atomic
from recomart_assets.lake.manifest import (
    Manifest,
    manifest_path,
    open_data_file,
    read_manifest,
    utc_now_iso,
    write_data_file,
)
from recomart_assets.lake.readers import CorruptFileError, complete_files, read_csv_verified, read_verified_bytes
from recomart_assets.lake.records import count_records
from recomart_assets.lake.verify import Problem, VerifyResult, verify_tree
from recomart_assets.lake.zone import RawZone, dataset_folders, day_key, latest_files

__all__ = [
    "CorruptFileError",
    "Manifest",
    "Problem",
    "RawZone",
    "VerifyResult",
    "atomic_writer",
    "complete_files",
    "count_records",
    "dataset_folders",
    "day_key",
    "latest_files",
    "manifest_path",
    "open_data_file",
    "read_csv_verified",
    "read_manifest",
    "read_verified_bytes",
    "utc_now_iso",
    "verify_tree",
    "write_bytes_atomic",
    "write_data_file",
]
