"""Removing data files the way the writer protocol asks (rule R3, ``docs/protocol.md``).

A data file is complete while its manifest exists, so removing one removes the manifest first: the
file turns invisible at once, and no reader ever sees a manifest whose bytes are gone. A crash
between the two leaves a data file without a manifest (incomplete, skipped by readers, reported by
``verify``), which the writer's next run removes or rewrites. Every writer that takes back or
replaces files (a landing split, a correction, a consumer batch, a seal's merge) removes them here.
Zone locks live in :mod:`~recomart_assets.lake.locks`, temporary names (:func:`~recomart_assets.lake.atomic.parse_temporary_name`) in :mod:`~recomart_assets.lake.atomic`.
"""

from __future__ import annotations

from collections.abc import Iterable

from upath import UPath

from recomart_assets.lake.manifest import manifest_path


def remove_data_file(path: UPath) -> None:
    """Remove ``path`` and its manifest, manifest first (either may be missing already)."""
    manifest_path(path).unlink(missing_ok=True)
    path.unlink(missing_ok=True)


def remove_data_files(paths: Iterable[UPath]) -> None:
    """:func:`remove_data_file` of each of ``paths``, in order."""
    for path in paths:
        remove_data_file(path)
