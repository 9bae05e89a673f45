"""Atomic file writes on any fsspec filesystem.

A data file must never be seen half-written. On a local disk we write a hidden temporary file in
the target folder, fsync it, ``os.replace`` it over the target and fsync the folder, so a crash
leaves either the old bytes or the new ones. On object storage a single PUT is already atomic, so
we spool locally and upload in one call. Readers skip hidden names, so a temporary file left by a
crash is invisible (``verify`` does not count it either); a writer tags its temporary files with
its name (:func:`temporary_files_owned_by`) and removes the ones a killed run of itself left
(:func:`sweep_temporary_files`) while it holds the lock that serialises it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import IO

from upath import UPath

from recomart_assets.lake import steps
from recomart_assets.lake.zone import is_local_path

TEMP_PREFIX = ".tmp-"  # temporary names are ".tmp-<32 hex>-<final name>"
_OWNER_HEX = 12  # the first hex digits of a temporary name: its owner's tag (or random, untagged)
_UNIQUE_HEX = 32  # hex digits between the prefix and the final name
_owner: ContextVar[str] = ContextVar("temporary_files_owner", default="")

# The bytes of a write are durable in its temporary file, not yet renamed into place.
steps.declare("atomic.temp-durable")


def _owner_tag(owner: str) -> str:
    return hashlib.sha256(owner.encode()).hexdigest()[:_OWNER_HEX]


@contextmanager
def temporary_files_owned_by(owner: str) -> Iterator[None]:
    """Tag the temporary files of every atomic write in this block (this thread or task) with
    ``owner``, so that :func:`sweep_temporary_files` can tell them from other writers' files."""
    token = _owner.set(owner)
    try:
        yield
    finally:
        _owner.reset(token)


def _temporary_name(final_name: str) -> str:
    unique = uuid.uuid4().hex
    owner = _owner.get()
    return f"{TEMP_PREFIX}{_owner_tag(owner) + unique[_OWNER_HEX:] if owner else unique}-{final_name}"


@dataclass(frozen=True)
class TemporaryName:
    """What a temporary file's name ``.tmp-<32 hex>-<final name>`` tells: whose it is and what it becomes."""

    owner_tag: str  # the first hex digits: its owner's tag, or random for an untagged write
    final_name: str  # the name the file is renamed to once it is durable (a ``.manifest`` included)

    def owned_by(self, owner: str) -> bool:
        """True when ``owner`` (see :func:`temporary_files_owned_by`) wrote it."""
        return self.owner_tag == _owner_tag(owner)


def parse_temporary_name(name: str) -> TemporaryName | None:
    """The owner tag and final name of a temporary file's name (None when ``name`` is not one).

    Writers that recognise their own leftovers by the final name (the consumer's spool files, a
    seal's merged files) read it here instead of cutting the name at a fixed offset.
    """
    if not name.startswith(TEMP_PREFIX):
        return None
    unique, dash, final = name[len(TEMP_PREFIX):].partition("-")
    if not dash or len(unique) != _UNIQUE_HEX or not final:
        return None
    return TemporaryName(unique[:_OWNER_HEX], final)


def sweep_temporary_files(folder: UPath, owner: str, recursive: bool = True) -> int:
    """Remove, under ``folder`` (links not followed; only in ``folder`` itself unless ``recursive``),
    the temporary files tagged with ``owner`` that a killed writer left; returns how many.

    Only the owner may call it, while holding the lock that serialises every writer of that owner:
    then no live writer can be writing one of them. Other writers' temporary files are untouched
    (a tag collision with a random name is a 1 in 2**48 chance per file).
    """
    if not is_local_path(folder) or not os.path.isdir(folder.path):
        return 0  # object storage: temporary files are local spools, never in the zone
    prefix = TEMP_PREFIX + _owner_tag(owner)
    removed = 0
    for directory, _, files in os.walk(folder.path):
        for name in files:
            if name.startswith(prefix):
                os.unlink(os.path.join(directory, name))
                removed += 1
        if not recursive:
            break
    return removed


_BACKGROUND_BYTES = 1 << 20  # smaller updates are hashed inline: handing them to a thread costs more
_helper: ThreadPoolExecutor | None = None


def _hashing_thread() -> ThreadPoolExecutor:
    global _helper  # noqa: PLW0603 - one helper thread per process, started on first use
    if _helper is None:
        _helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="md5")
    return _helper


def _forget_hashing_thread() -> None:
    """A forked child has none of its parent's threads: it starts its own helper when it needs one."""
    global _helper  # noqa: PLW0603
    _helper = None


os.register_at_fork(after_in_child=_forget_hashing_thread)


class Digests:
    """md5 and sha256 of a stream of bytes, the md5 computed on a helper thread beside the caller's sha256.

    hashlib lets go of the interpreter while it hashes a large buffer, so on two cores the two
    digests of a large file take the time of the slower one instead of their sum. Updates are
    applied in order: each waits for the previous md5 update before handing over the next. With
    ``md5=False`` only the sha256 is computed (a caller that reads the md5 elsewhere).
    """

    def __init__(self, *, md5: bool = True) -> None:
        """Empty digests."""
        self._md5 = hashlib.md5() if md5 else None
        self._sha256 = hashlib.sha256()
        self._pending: Future[None] | None = None

    def _settle(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def update(self, data: bytes | memoryview) -> None:
        """Fold ``data`` into both digests."""
        self._settle()
        if self._md5 is None:
            pass
        elif len(data) >= _BACKGROUND_BYTES:
            self._pending = _hashing_thread().submit(self._md5.update, data)
        else:
            self._md5.update(data)
        self._sha256.update(data)

    @property
    def md5(self) -> str:
        """Hex md5 of every byte so far."""
        if self._md5 is None:
            raise ValueError("these digests were made without md5")
        self._settle()
        return self._md5.hexdigest()

    @property
    def sha256(self) -> str:
        """Hex sha256 of every byte so far."""
        return self._sha256.hexdigest()


@dataclass
class HashingWriter:
    """Binary writer that tracks size, md5 and sha256 of everything written through it."""

    raw: IO[bytes]
    bytes_written: int = 0
    _digests: Digests = field(default_factory=Digests)

    def write(self, data: bytes) -> int:
        """Write ``data`` to the underlying file and fold it into the size and both checksums; returns its length
        (the ``IO.write`` contract)."""
        self.raw.write(data)
        self._digests.update(data)
        self.bytes_written += len(data)
        return len(data)

    @property
    def md5(self) -> str:
        """Hex md5 of every byte written so far: the manifest's ``md5``, what readers and ``verify`` check."""
        return self._digests.md5

    @property
    def sha256(self) -> str:
        """Hex sha256 of every byte written so far: the manifest's ``sha256``, kept beside the contract's md5."""
        return self._digests.sha256


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_writer(path: UPath, before_publish: Callable[[HashingWriter], bool] | None = None
                  ) -> Iterator[HashingWriter]:
    """Yield a :class:`HashingWriter`; the bytes appear at ``path`` only if the block succeeds.

    ``before_publish(writer)`` runs once every byte is durable and before the rename that makes them
    visible (the manifest writer uses it to withdraw a manifest that would describe the old bytes);
    it returns whether it changed the folder, which is then fsynced before the rename.
    """
    if is_local_path(path):
        target = os.fspath(path.path)
        directory = os.path.dirname(target) or "."
        os.makedirs(directory, exist_ok=True)
        tmp = os.path.join(directory, _temporary_name(os.path.basename(target)))
        try:
            with open(tmp, "wb") as raw:
                writer = HashingWriter(raw)
                yield writer
                raw.flush()
                os.fsync(raw.fileno())
            steps.reached("atomic.temp-durable")
            if before_publish is not None and before_publish(writer):
                _fsync_dir(directory)  # what it removed stays removed before the new bytes appear
            os.replace(tmp, target)
            _fsync_dir(directory)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return
    with tempfile.NamedTemporaryFile(prefix=TEMP_PREFIX, suffix="-" + path.name) as spool:
        writer = HashingWriter(spool)
        yield writer
        spool.flush()
        if before_publish is not None:
            before_publish(writer)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.fs.put_file(spool.name, path.path)


def move_into_place(source: UPath, target: UPath) -> None:
    """Rename ``source`` to ``target`` (replacing it), durably: both folders are fsynced locally."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if is_local_path(source):
        os.replace(source.path, target.path)
        _fsync_dir(os.path.dirname(target.path))
        _fsync_dir(os.path.dirname(source.path))
        return
    source.fs.mv(source.path, target.path)


def put_back(source: UPath, target: UPath) -> bool:
    """Move ``source`` to ``target`` unless ``target`` exists (then False, nothing moved).

    Locally a hard link makes the check and the move one step, so a file that appears at
    ``target`` meanwhile is never overwritten.
    """
    if is_local_path(source):
        try:
            os.link(source.path, target.path)
        except FileExistsError:
            return False
        os.unlink(source.path)
        _fsync_dir(os.path.dirname(target.path))
        _fsync_dir(os.path.dirname(source.path))
        return True
    if target.exists():
        return False
    source.fs.mv(source.path, target.path)
    return True


def write_bytes_atomic(path: UPath, data: bytes, before_publish: Callable[[HashingWriter], bool] | None = None
                       ) -> HashingWriter:
    """Write ``data`` to ``path`` atomically; returns the writer (size and checksums)."""
    with atomic_writer(path, before_publish) as writer:
        writer.write(data)
    return writer
