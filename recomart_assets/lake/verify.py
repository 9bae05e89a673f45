"""``recomart verify``: re-check every manifest against its file.

Reports, per file: a missing manifest, a size or md5 mismatch (flipped byte, truncation), a wrong
record count, and manifests whose data file is gone. Input and bookkeeping folders (``landing``,
``_logs``, ``_state``) hold no manifested data and are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from upath import UPath

from recomart_assets.lake.atomic import TEMP_PREFIX
from recomart_assets.lake.manifest import MANIFEST_SUFFIX, Manifest
from recomart_assets.lake.readers import content_mismatch, is_data_file_name
from recomart_assets.lake.records import count_records
from recomart_assets.lake.zone import RawZone

SKIPPED_FOLDERS = ("landing", "_logs", "_state")
UNMANAGED_NAMES = {"README.md"}


@dataclass(frozen=True)
class Problem:
    path: str
    kind: str  # missing-manifest | orphan-manifest | bad-manifest | size | md5 | record-count
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}: {self.detail}"


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def _relative_parts(root: UPath, path: str) -> tuple[str, ...]:
    rel = path[len(root.path.rstrip("/")) :].strip("/")
    return tuple(rel.split("/")) if rel else ()


def _sibling_path(root: UPath, raw_path: str) -> UPath:
    """A UPath on the same filesystem as ``root`` for a path returned by ``fs.find``."""
    if root.protocol:
        return UPath(raw_path, protocol=root.protocol, **root.storage_options)
    return UPath(raw_path)


def _check(path: UPath, manifest_file: UPath) -> Problem | None:
    try:
        manifest = Manifest.from_json(manifest_file.read_bytes())
    except (ValueError, TypeError) as exc:
        return Problem(str(path), "bad-manifest", f"unreadable manifest ({exc})")
    data = path.read_bytes()
    mismatch = content_mismatch(data, manifest)
    if mismatch:
        return Problem(str(path), *mismatch)
    records = count_records(data, manifest.format)
    if records != manifest.record_count:
        return Problem(str(path), "record-count", f"{records} records, manifest says {manifest.record_count}")
    return None


def verify_tree(root: UPath) -> VerifyResult:
    """Verify every data file under ``root`` (the raw zone or any folder inside it)."""
    root = RawZone.at(root).root
    fs = root.fs
    if not root.exists():
        raise FileNotFoundError(f"{root}: no such folder")
    all_paths = set(fs.find(root.path))
    problems: list[Problem] = []
    checked = 0
    for raw_path in sorted(all_paths):
        parts = _relative_parts(root, raw_path)
        if parts and parts[0] in SKIPPED_FOLDERS:
            continue
        name = parts[-1] if parts else raw_path.rsplit("/", 1)[-1]
        path = _sibling_path(root, raw_path)
        if name.startswith(TEMP_PREFIX):  # a writer's temporary file (killed mid-write): never visible
            continue
        if name.endswith(MANIFEST_SUFFIX):
            if raw_path[: -len(MANIFEST_SUFFIX)] not in all_paths:
                problems.append(Problem(str(path), "orphan-manifest", "manifest without its data file"))
            continue
        if not is_data_file_name(name) or name in UNMANAGED_NAMES:
            continue
        checked += 1
        manifest_file = raw_path + MANIFEST_SUFFIX
        if manifest_file not in all_paths:
            problems.append(Problem(str(path), "missing-manifest", "data file without a manifest"))
            continue
        problem = _check(path, path.with_name(name + MANIFEST_SUFFIX))
        if problem:
            problems.append(problem)
    return VerifyResult(checked=checked, problems=problems)
