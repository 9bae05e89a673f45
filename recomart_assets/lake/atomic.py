"""Atomic file writes on any fsspec filesystem.

A data file must never be seen half-written. On a local disk we write a hidden temporary file in
the target folder, fsync it, ``os.replace`` it over the target and fsync the folder, so a crash
leaves either the old bytes or the new ones. On object storage a single PUT is already atomic, so
we spool locally and upload in one call. Readers skip hidden names, so a temporary file left by a
crash is invisible (``verify`` does not count it either).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

from upath import UPath

from recomart_assets.lake.zone import is_local_path

TEMP_PREFIX = ".tmp-"


@dataclass
class HashingWriter:
    """Binary writer that tracks size, md5 and sha256 of everything written through it."""

    raw: BinaryIO
    bytes_written: int = 0
    _md5: hashlib._Hash = field(default_factory=hashlib.md5)
    _sha256: hashlib._Hash = field(default_factory=hashlib.sha256)

    def write(self, data: bytes) -> int:
        self.raw.write(data)
        self._md5.update(data)
        self._sha256.update(data)
        self.bytes_written += len(data)
        return len(data)

    @property
    def md5(self) -> str:
        return self._md5.hexdigest()

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_writer(path: UPath, before_publish: Callable[[HashingWriter], None] | None = None
                  ) -> Iterator[HashingWriter]:
    """Yield a :class:`HashingWriter`; the bytes appear at ``path`` only if the block succeeds.

    ``before_publish(writer)`` runs once every byte is durable and before the rename that makes them
    visible (the manifest writer uses it to withdraw a manifest that would describe the old bytes).
    """
    if is_local_path(path):
        target = os.fspath(path.path)
        directory = os.path.dirname(target) or "."
        os.makedirs(directory, exist_ok=True)
        tmp = os.path.join(directory, f"{TEMP_PREFIX}{uuid.uuid4().hex}-{os.path.basename(target)}")
        try:
            with open(tmp, "wb") as raw:
                writer = HashingWriter(raw)
                yield writer
                raw.flush()
                os.fsync(raw.fileno())
            if before_publish is not None:
                before_publish(writer)
                _fsync_dir(directory)
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


def write_bytes_atomic(path: UPath, data: bytes, before_publish: Callable[[HashingWriter], None] | None = None
                       ) -> HashingWriter:
    """Write ``data`` to ``path`` atomically; returns the writer (size and checksums)."""
    with atomic_writer(path, before_publish) as writer:
        writer.write(data)
    return writer
