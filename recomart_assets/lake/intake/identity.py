"""Identity: a landing file *is* its content sha256, computed in one streaming read that also
tells its size, md5 and whether it can be text (NUL bytes, UTF-8 validity)."""

from __future__ import annotations

import codecs
import hashlib
import io
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, BinaryIO, cast

from upath import UPath

from recomart_assets.lake.atomic import Digests
from recomart_assets.lake.records import CHUNK_BYTES


@dataclass(frozen=True)
class FileFacts:
    """What one read of a landing file tells: identity, size and encoding."""

    sha256: str
    md5_pending: str | Future[str]  # the hex md5, or its computation still running (see :func:`md5_beside`)
    size: int
    has_nul: bool
    bad_utf8_offset: int | None
    has_text: bool

    @property
    def md5(self) -> str:
        """The hex md5 of the content (waiting for it while it is still being computed)."""
        return self.md5_pending if isinstance(self.md5_pending, str) else self.md5_pending.result()

    @property
    def short_id(self) -> str:
        """The first 16 hex digits of the sha256 (archive names, log lines)."""
        return self.sha256[:16]


def inspect_file(path: UPath) -> FileFacts:
    """One streaming pass: sha256, md5, size, NUL bytes, UTF-8 validity."""
    with path.open("rb") as stream:
        return inspect_stream(stream)


def content_sha256(path: UPath) -> str:
    """Only the sha256 of a file: all that "does this entry still hold that content" needs. One
    hash pass instead of :func:`inspect_file`'s sha256, md5 and UTF-8 passes over the whole file."""
    with path.open("rb") as stream:
        # a binary file object (local or fsspec's) reads into a buffer, which file_digest streams through
        return hashlib.file_digest(cast(io.BufferedIOBase, stream), "sha256").hexdigest()


def md5_beside(path: UPath) -> Future[str]:
    """The md5 of the file ``path``, read on a thread of its own while the caller goes on.

    The file is opened here, before returning: the caller may rename it at once (the open file
    follows it), and the digest is still that of the bytes it had.
    """
    stream = path.open("rb")
    pool = ThreadPoolExecutor(1, thread_name_prefix="md5-beside")
    try:
        return pool.submit(_md5_of, stream)
    except BaseException:
        stream.close()
        raise
    finally:
        pool.shutdown(wait=False)  # the thread ends with its one task


def _md5_of(stream: BinaryIO) -> str:
    with stream:
        return hashlib.file_digest(cast(io.BufferedIOBase, stream), "md5").hexdigest()


def inspect_stream(stream: BinaryIO, copy_to: IO[bytes] | None = None, *, md5: bool = True) -> FileFacts:
    """:func:`inspect_file` of an open stream; with ``copy_to`` every byte read is also written there,
    so the copy is exactly the bytes the facts describe. With ``md5=False`` the facts carry no md5
    (the caller supplies it, :func:`md5_beside`)."""
    digests = Digests(md5=md5)
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    has_nul = has_text = False
    bad_offset: int | None = None
    while chunk := stream.read(CHUNK_BYTES):
        if copy_to is not None:
            copy_to.write(chunk)
        digests.update(chunk)
        has_nul = has_nul or b"\x00" in chunk
        has_text = has_text or not chunk.isspace()
        # ASCII is UTF-8 (unless a character the decoder holds from the last chunk was left unfinished)
        if bad_offset is None and not (chunk.isascii() and not decoder.getstate()[0]):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad_offset = size + exc.start
        size += len(chunk)
    if bad_offset is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            bad_offset = size
    return FileFacts(digests.sha256, digests.md5 if md5 else "", size, has_nul, bad_offset, has_text)
