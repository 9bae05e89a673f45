"""``recomart verify``: re-check every manifest against its file, trusting nothing in the tree.

The raw zone may hold anything a user, another tool or an attacker put there, so the walk looks at
every entry without following it (``os.scandir``/``lstat``) and opens only regular files (with
``O_NOFOLLOW``, checking the opened file again, so a swap between the look and the open is caught
too). A FIFO, socket or device is never opened (opening a FIFO blocks until a writer comes); a
link is never followed, whether it points at a file, a folder (possibly a loop or a path outside
the zone) or nothing. Each such entry, each unreadable file or folder, each malformed manifest and
each mismatch is a :class:`Problem`, and the walk goes on: one run names every problem of the tree.

Per data file: a missing manifest, a manifest that is not JSON, not an object, lacks a field of
the contract or has one of the wrong type, a manifest naming another file, a size or md5
mismatch (flipped byte, truncation) and a wrong record count; per manifest: its data file gone.
Manifests holding only the contract's fields (no ``manifest_version``: another tool's) are valid.
Size and md5 come first, so a damaged file is not read further; a file whose checksums match is
counted by :func:`count_records_in`, the writers' count (CSV records, not lines; no field-size
limit). Both read in bounded chunks, so memory does not grow with the file. Input and bookkeeping folders (``landing``, ``_logs``, ``_state``) hold no manifested
data and are skipped. The root itself is the one link followed (like ``find -H``): it is what the
user named. On object storage (no links, no special files) the listing comes from fsspec.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO, cast

from pydantic import ValidationError

from recomart_assets.lake.atomic import TEMP_PREFIX
from recomart_assets.lake.manifest import MANIFEST_SUFFIX, MAX_MANIFEST_BYTES, ContractManifest
from recomart_assets.lake.readers import is_data_file_name
from recomart_assets.lake.records import count_records_in, format_of
from recomart_assets.lake.zone import RawZone

SKIPPED_FOLDERS = ("landing", "_logs", "_state")
UNMANAGED_NAMES = {"README.md"}

# Problem kinds, as printed.
LINK = "link"
NOT_REGULAR = "not-regular-file"
UNREADABLE = "unreadable"
MISSING_MANIFEST = "missing-manifest"
ORPHAN_MANIFEST = "orphan-manifest"
MANIFEST_NOT_JSON = "manifest-not-json"
MANIFEST_NOT_OBJECT = "manifest-not-object"
MANIFEST_MISSING_FIELD = "manifest-missing-field"
MANIFEST_WRONG_TYPE = "manifest-wrong-type"
MANIFEST_TOO_LARGE = "manifest-too-large"
FILE_NAME = "file-name"
SIZE = "size"
MD5 = "md5"
RECORD_COUNT = "record-count"

@dataclass(frozen=True)
class Problem:
    """One finding of ``recomart verify``: the entry's full ``path``, its ``kind`` (one of the constants above, as
    printed) and a ``detail`` for a person."""
    path: str
    kind: str
    detail: str

    def __str__(self) -> str:
        """``<kind>: <path>: <detail>``: the line ``recomart verify`` prints for this problem."""
        return f"{self.kind}: {self.path}: {self.detail}"


@dataclass(frozen=True)
class VerifyResult:
    """A verify run: how many data files were ``checked`` (temporary and unmanaged files not counted) and every
    ``problem`` found, sorted by path then kind."""
    checked: int
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        """True when no problem was found: ``recomart verify`` exits 0 only then."""
        return not self.problems


class _Unusable(Exception):
    """A file that cannot be checked; carries its problem kind and detail."""

    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind, self.detail = kind, detail


_FILE_TYPES = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


_JSON_TYPES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}


def _describe_mode(mode: int) -> str:
    return next((name for test, name in _FILE_TYPES if test(mode)), f"of file type {stat.S_IFMT(mode):#o}")


def _describe_link(path: str) -> str:
    """What a link points at, found with ``stat`` (metadata only: the target is never opened)."""
    try:
        target = os.readlink(path)
    except OSError as exc:
        return f"symbolic link (unreadable: {exc.strerror}), not followed"
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return f"dangling symbolic link -> {target}"
    except OSError as exc:  # a loop, or a target we may not look at
        return f"symbolic link -> {target} ({exc.strerror}), not followed"
    what = "a folder" if stat.S_ISDIR(mode) else "a file" if stat.S_ISREG(mode) else _describe_mode(mode)
    return f"symbolic link to {what} -> {target}, not followed"


@dataclass
class _Tree:
    """The walk's result: regular files by path (relative, ``/``-separated), and what else it saw."""

    files: set[str] = field(default_factory=set)
    others: set[str] = field(default_factory=set)  # entries that exist but are not regular files
    problems: list[Problem] = field(default_factory=list)


class _LocalTree:
    """A local folder, walked with ``scandir`` without following anything."""

    def __init__(self, root: str):
        self.root = root

    def full(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    @staticmethod
    def _listing(folder: str, *, follow: bool, seen: set[tuple[int, int]]) -> list[tuple[str, int | OSError]]:
        """Names in ``folder`` with their ``lstat`` mode (or the error), through one descriptor.

        The descriptor is opened with ``O_NOFOLLOW``: a folder swapped for a link after its parent
        was listed is refused, not followed. ``seen`` (device, inode) keeps a bind mount from
        looping the walk.
        """
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW))
        try:
            info = os.fstat(fd)
            if (info.st_dev, info.st_ino) in seen:
                return []
            seen.add((info.st_dev, info.st_ino))
            with os.scandir(fd) as listing:
                names = sorted(entry.name for entry in listing)
            modes: list[tuple[str, int | OSError]] = []
            for name in names:
                try:
                    modes.append((name, os.lstat(name, dir_fd=fd).st_mode))
                except OSError as exc:  # vanished since the listing
                    modes.append((name, exc))
            return modes
        finally:
            os.close(fd)

    def walk(self) -> _Tree:
        tree = _Tree()
        seen: set[tuple[int, int]] = set()
        pending = [""]
        while pending:
            rel_dir = pending.pop()
            folder = self.full(rel_dir) if rel_dir else self.root
            try:
                listing = self._listing(folder, follow=not rel_dir, seen=seen)  # the root: the user named it
            except OSError as exc:
                tree.problems.append(Problem(folder, UNREADABLE, f"folder cannot be listed ({exc.strerror})"))
                continue
            for name, mode in listing:
                rel = f"{rel_dir}/{name}" if rel_dir else name
                path = self.full(rel)
                if not rel_dir and name in SKIPPED_FOLDERS:
                    continue
                if isinstance(mode, OSError):
                    tree.problems.append(Problem(path, UNREADABLE, f"cannot be looked at ({mode.strerror})"))
                elif stat.S_ISDIR(mode):
                    pending.append(rel)
                elif stat.S_ISREG(mode):
                    tree.files.add(rel)
                elif stat.S_ISLNK(mode):
                    tree.others.add(rel)
                    tree.problems.append(Problem(path, LINK, _describe_link(path)))
                else:
                    tree.others.add(rel)
                    tree.problems.append(Problem(path, NOT_REGULAR, f"not a regular file: {_describe_mode(mode)}"))
        return tree

    @contextmanager
    def open(self, rel: str) -> Iterator[tuple[BinaryIO, int]]:
        """The file and its size; refuses (without blocking) anything that is not a regular file now."""
        path = self.full(rel)
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(path, flags)
        except OSError as exc:
            raise _Unusable(UNREADABLE, f"cannot be opened ({exc.strerror})") from exc
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):  # swapped for something else since the walk
                raise _Unusable(NOT_REGULAR, f"not a regular file: {_describe_mode(info.st_mode)}")
            yield handle, info.st_size


class _ObjectStoreTree:
    """A prefix on object storage: only objects (no links, no special files), listed by fsspec."""

    def __init__(self, root):
        self.root, self.fs = root, root.fs
        self.base = root.path.rstrip("/")
        self.sizes: dict[str, int] = {}  # from the listing: no request per object for its size

    def full(self, rel: str) -> str:
        return str(self.root / rel)

    def walk(self) -> _Tree:
        tree = _Tree()
        for raw_path, info in self.fs.find(self.base, detail=True).items():
            rel = raw_path[len(self.base) :].strip("/")
            if not rel or rel.split("/")[0] in SKIPPED_FOLDERS or info.get("type") == "directory":
                continue
            tree.files.add(rel)
            self.sizes[rel] = info["size"]
        return tree

    @contextmanager
    def open(self, rel: str) -> Iterator[tuple[BinaryIO, int]]:
        try:
            handle = self.fs.open(f"{self.base}/{rel}", "rb")
        except OSError as exc:
            raise _Unusable(UNREADABLE, f"cannot be opened ({exc})") from exc
        with handle:
            yield handle, self.sizes[rel]


def _read_error(exc: OSError) -> _Unusable:
    return _Unusable(UNREADABLE, f"cannot be read ({exc.strerror or exc})")


def _load_manifest(tree: _LocalTree | _ObjectStoreTree, rel: str, data_name: str) -> ContractManifest:
    with tree.open(rel) as (handle, size):
        if size > MAX_MANIFEST_BYTES:
            raise _Unusable(MANIFEST_TOO_LARGE, f"{size} bytes: not a manifest (limit {MAX_MANIFEST_BYTES})")
        try:
            raw = handle.read(MAX_MANIFEST_BYTES + 1)
        except OSError as exc:
            raise _read_error(exc) from exc
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, absurd nesting
        raise _Unusable(MANIFEST_NOT_JSON, f"not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise _Unusable(MANIFEST_NOT_OBJECT, f"a JSON {_JSON_TYPES[type(data)]}, not an object")
    try:
        manifest = ContractManifest.model_validate(data)
    except ValidationError as exc:
        missing = [str(e["loc"][0]) for e in exc.errors() if e["type"] == "missing"]
        wrong = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors() if e["type"] != "missing"]
        # Both kinds can be wrong at once: name the missing fields first, the wrong ones with them.
        if missing:
            extra = f"; also {'; '.join(wrong)}" if wrong else ""
            raise _Unusable(MANIFEST_MISSING_FIELD, f"missing {', '.join(missing)}{extra}") from exc
        raise _Unusable(MANIFEST_WRONG_TYPE, "; ".join(wrong)) from exc
    if manifest.file != data_name:
        raise _Unusable(FILE_NAME, f"manifest describes {manifest.file!r}, not {data_name!r}")
    return manifest


def _check_data(tree: _LocalTree | _ObjectStoreTree, rel: str, manifest: ContractManifest) -> None:
    name = rel.rsplit("/", 1)[-1]
    with tree.open(rel) as (handle, size):
        if size != manifest.bytes:
            raise _Unusable(SIZE, f"{size} bytes, manifest says {manifest.bytes}")
        try:
            # both trees' files (a local buffered reader, an fsspec buffered file) have the readinto
            # that file_digest streams through; typing's BinaryIO does not declare it
            md5 = hashlib.file_digest(cast(io.BufferedIOBase, handle), "md5").hexdigest()
        except OSError as exc:
            raise _read_error(exc) from exc
        if md5 != manifest.md5.lower():
            raise _Unusable(MD5, f"md5 {md5}, manifest says {manifest.md5}")
        handle.seek(0)
        try:
            records = count_records_in(handle, manifest.format or format_of(name))
        except OSError as exc:
            raise _read_error(exc) from exc
    if records != manifest.record_count:
        raise _Unusable(RECORD_COUNT, f"{records} records, manifest says {manifest.record_count}")


def verify_tree(root) -> VerifyResult:
    """Verify every data file under ``root`` (the raw zone or any folder inside it).

    Raises ``FileNotFoundError``/``NotADirectoryError`` when ``root`` is not a folder; everything
    found inside it is reported as a :class:`Problem`, never raised.
    """
    root = RawZone.at(root).root
    if root.protocol in ("", "file", "local"):
        local = os.fspath(root.path)
        if not os.path.exists(local):
            raise FileNotFoundError(f"{root}: no such folder")
        if not os.path.isdir(local):
            raise NotADirectoryError(f"{root}: not a folder")
        tree: _LocalTree | _ObjectStoreTree = _LocalTree(local)
    else:
        if not root.exists():
            raise FileNotFoundError(f"{root}: no such folder")
        tree = _ObjectStoreTree(root)
    found = tree.walk()
    problems = list(found.problems)
    present = found.files | found.others
    checked = 0
    for rel in sorted(found.files):
        name = rel.rsplit("/", 1)[-1]
        if name.startswith(TEMP_PREFIX):  # a writer's temporary file (killed mid-write): never visible
            continue
        if name.endswith(MANIFEST_SUFFIX):
            if rel[: -len(MANIFEST_SUFFIX)] not in present:
                problems.append(Problem(tree.full(rel), ORPHAN_MANIFEST, "manifest without its data file"))
            continue
        if not is_data_file_name(name) or name in UNMANAGED_NAMES:
            continue
        checked += 1
        manifest_rel = rel + MANIFEST_SUFFIX
        if manifest_rel not in present:
            problems.append(Problem(tree.full(rel), MISSING_MANIFEST, "data file without a manifest"))
            continue
        if manifest_rel not in found.files:  # a link or special file: already reported as such
            continue
        try:
            manifest = _load_manifest(tree, manifest_rel, name)
        except _Unusable as bad:
            problems.append(Problem(tree.full(manifest_rel), bad.kind, bad.detail))
            continue
        try:
            _check_data(tree, rel, manifest)
        except _Unusable as bad:
            problems.append(Problem(tree.full(rel), bad.kind, bad.detail))
    return VerifyResult(checked=checked, problems=sorted(problems, key=lambda p: (p.path, p.kind)))
