"""Out-of-core scans of a partition's files with DuckDB: the connection sealing and validation use,
and the scan that finds every field of a day's JSON Lines files.

A day of a storefront's clickstream is several GB of JSON Lines: DuckDB reads it in parallel and
spills beyond its memory limit, so neither the seal nor the checks hold a day in Python objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb
from upath import UPath

from recomart_assets.lake.fields import TYPE_SAMPLE_ROWS, merge_types
from recomart_assets.lake.manifest import Manifest
from recomart_assets.lake.readers import verify_streaming
from recomart_assets.lake.zone import RawZone

# DuckDB's own limit (it spills beyond it); the process adds Python and whatever the caller holds.
DEFAULT_MEMORY_LIMIT = "512MB"
_DUCKDB_JSON_TYPES = {"VARCHAR": "string", "BIGINT": "integer", "UBIGINT": "integer", "DOUBLE": "number",
                      "BOOLEAN": "boolean", "OBJECT": "object", "ARRAY": "array", "NULL": "null"}


def connect(spill_dir: str, memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int | None = None
            ) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that spills to ``spill_dir``, with UTC as its time zone."""
    config = {"memory_limit": memory_limit, "temp_directory": spill_dir, "preserve_insertion_order": True}
    if threads:
        config["threads"] = threads
    connection = duckdb.connect(config=config)
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def local_files(zone: RawZone, files: list[tuple[UPath, Manifest]], workdir: str) -> tuple[list[str], Future | None]:
    """Local paths of the files for DuckDB to read, and their verification still running (None: done).

    Remote files are verified while they are copied (the copies are what DuckDB reads). Local files
    are verified in a thread while DuckDB reads them: both release the GIL, so on two cores the hash
    mostly hides behind the scan; the caller waits for it before any row counts.
    """
    if not zone.is_local:
        local = []
        for index, (path, manifest) in enumerate(files):
            copy = str(Path(workdir) / f"{index:06d}-{path.name}")
            verify_streaming(path, manifest, copy_to=copy)
            local.append(copy)
        return local, None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recomart-verify")
    pending = pool.submit(lambda: [verify_streaming(path, manifest) for path, manifest in files])
    pool.shutdown(wait=False)
    return [path.path for path, _ in files], pending


def literal(text: str) -> str:
    """A DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


def files_literal(paths: Sequence[str]) -> str:
    """A DuckDB list of file paths, for the ``read_*`` table functions."""
    return "[" + ", ".join(literal(p) for p in paths) + "]"


def scan_fields(connection: duckdb.DuckDBPyConnection, paths: Sequence[str]) -> dict[str, dict[str, str]]:
    """Path -> the fields of that JSON Lines file: every top-level key of its objects (a file's most
    common key set first, then the keys of rarer ones; ties by their keys) and each key's JSON type in its first
    :data:`~recomart_assets.lake.fields.TYPE_SAMPLE_ROWS` objects (``null`` if only seen later)."""
    keys: dict[str, list[str]] = {path: [] for path in paths}
    if paths:
        for path, names in connection.execute(
                f"SELECT filename, json_keys(json) AS k FROM read_ndjson_objects({files_literal(paths)}, filename=true) "
                f"GROUP BY filename, k ORDER BY filename, count(*) DESC, k").fetchall():
            keys[path].extend(k for k in names if k not in keys[path])
    found = {}
    for path, names in keys.items():
        seen: dict[str, set[str]] = {name: set() for name in names}
        if names:
            json_paths = "[" + ", ".join(literal("$." + '"' + k.replace('"', '\\"') + '"') for k in names) + "]"
            for (types,) in connection.execute(
                    f"SELECT DISTINCT json_type(json, {json_paths}) FROM (SELECT json FROM "
                    f"read_ndjson_objects({literal(path)}) LIMIT {TYPE_SAMPLE_ROWS})").fetchall():
                for name, kind in zip(names, types, strict=True):
                    if kind is not None:
                        seen[name].add(_DUCKDB_JSON_TYPES.get(kind, "mixed"))
        found[path] = merge_types({name: kinds or {"null"} for name, kinds in seen.items()})
    return found
