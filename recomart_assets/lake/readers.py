"""Reading the raw zone safely: only complete files (with a manifest), checksums verified."""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING

from upath import UPath

from recomart_assets.errors import CorruptFileError
from recomart_assets.lake.atomic import TEMP_PREFIX
from recomart_assets.lake.lineage import KafkaBatch
from recomart_assets.lake.manifest import MANIFEST_SUFFIX, Manifest, read_manifest

if TYPE_CHECKING:
    import pandas as pd


def is_data_file_name(name: str) -> bool:
    """False for manifests, temporary and hidden files (``.tmp-*``, ``.keep``)."""
    return not (name.endswith(MANIFEST_SUFFIX) or name.startswith(".") or name.startswith(TEMP_PREFIX))


def complete_files(folder: UPath, pattern: str = "*") -> Iterator[tuple[UPath, Manifest]]:
    """Data files in ``folder`` (sorted by name) that have a manifest, with that manifest.

    Files without a manifest are still being written, or were left by a crash: skipped. So are files
    that another complete file's lineage lists under ``supersedes``: a merge (sealing a clickstream
    day) writes the merged file with its manifest, which is the atomic switch, and only then deletes
    the files it replaces; until they are gone (or after a crash in between) they are not read twice.
    """
    if not folder.exists():
        return
    found = []
    for path in sorted(folder.glob(pattern), key=lambda p: p.name):
        if not is_data_file_name(path.name) or not path.is_file():
            continue
        manifest = read_manifest(path)
        if manifest is not None:
            found.append((path, manifest))
    superseded = {name for _, manifest in found if isinstance(manifest.source, KafkaBatch)
                  for name in manifest.source.supersedes or ()}
    for path, manifest in found:
        if path.name not in superseded:
            yield path, manifest


def content_mismatch(data: bytes, manifest: Manifest) -> tuple[str, str] | None:
    """``(kind, detail)`` when ``data`` is not what ``manifest`` describes (kind ``size`` or ``md5``)."""
    if len(data) != manifest.bytes:
        return "size", f"{len(data)} bytes, manifest says {manifest.bytes}"
    md5 = hashlib.md5(data).hexdigest()
    if md5 != manifest.md5:
        return "md5", f"md5 {md5}, manifest says {manifest.md5}"
    return None


def read_verified_bytes(path: UPath, manifest: Manifest | None = None) -> bytes:
    """The bytes of ``path`` after checking size and md5 against its manifest."""
    manifest = manifest or read_manifest(path)
    if manifest is None:
        raise CorruptFileError(f"{path}: no manifest (incomplete file)")
    data = path.read_bytes()
    mismatch = content_mismatch(data, manifest)
    if mismatch:
        raise CorruptFileError(f"{path}: content does not match its manifest ({mismatch[1]})")
    return data


def read_csv_verified(path: UPath, manifest: Manifest | None = None, **read_csv_kwargs) -> pd.DataFrame:
    """A verified CSV as a DataFrame (all columns as strings unless ``dtype`` says otherwise)."""
    import pandas as pd  # imported here: the lake itself (e.g. for the Kafka consumer) needs no pandas

    read_csv_kwargs.setdefault("dtype", "string")
    return pd.read_csv(io.BytesIO(read_verified_bytes(path, manifest)), **read_csv_kwargs)


VERIFY_CHUNK = 8 * 1024 * 1024


def verify_streaming(path: UPath, manifest: Manifest, copy_to: str | None = None) -> None:
    """Check ``path``'s size and checksum against ``manifest`` reading it in chunks (bounded memory).

    The sha256 is checked when the manifest has one (every manifest this project writes): with the
    CPU's SHA extensions it hashes about twice as fast as md5, and validation hashes every byte it
    reads; older manifests with an md5 only are checked by md5.
    ``copy_to``: also write the bytes to that local file while reading (one read of a remote
    object gives a verified local copy for engines that read local files only).
    """
    kind, expected = ("sha256", manifest.sha256) if manifest.sha256 else ("md5", manifest.md5)
    digest, size = hashlib.new(kind), 0
    with path.open("rb") as source, (open(copy_to, "wb") if copy_to else contextlib.nullcontext()) as copy:
        while chunk := source.read(VERIFY_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if copy is not None:
                copy.write(chunk)
    if size != manifest.bytes:
        raise CorruptFileError(f"{path}: content does not match its manifest ({size} bytes, manifest says {manifest.bytes})")
    if digest.hexdigest() != expected:
        raise CorruptFileError(f"{path}: content does not match its manifest "
                               f"({kind} {digest.hexdigest()}, manifest says {expected})")
