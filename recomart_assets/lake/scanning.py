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
    """A DuckDB string literal of any text: quotes doubled, a NUL character (which ends DuckDB's
    parser) spelled ``chr(0)``. The one way data (a key, a file path) becomes SQL text."""
    parts = ("'" + part.replace("'", "''") + "'" for part in text.split("\x00"))
    return " || chr(0) || ".join(parts) if "\x00" in text else next(parts)


def files_literal(paths: Sequence[str]) -> str:
    """A DuckDB list of file paths, for the ``read_*`` table functions."""
    return "[" + ", ".join(literal(p) for p in paths) + "]"


def json_pointer(key: str) -> str:
    """The JSON Pointer (RFC 6901) of a top-level key: every key has one (the empty key is ``/``),
    with no wildcard or path syntax a key could smuggle in, unlike a ``$.`` JSON path."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def scan_fields(connection: duckdb.DuckDBPyConnection, paths: Sequence[str]) -> dict[str, dict[str, str]]:
    """Path -> the fields of that JSON Lines file: every top-level key of its objects (a file's most
    common key set first, then the keys of rarer ones; ties by their keys) and each key's JSON type in its first
    :data:`~recomart_assets.lake.fields.TYPE_SAMPLE_ROWS` objects (``null`` if only seen later).

    Keys are never written into the SQL: the order is computed from the key sets (a key's first key
    set, then its place in it), the types from the objects' entries (``json_each``), so any key, and
    a day with thousands of them, scans the same way.
    """
    keys: dict[str, list[str]] = {path: [] for path in paths}
    if paths:
        shapes = (f"SELECT filename, k, row_number() OVER (PARTITION BY filename ORDER BY n DESC, k) AS s FROM "
                  f"(SELECT filename, json_keys(json) AS k, count(*) AS n FROM "
                  f"read_ndjson_objects({files_literal(paths)}, filename=true) GROUP BY ALL)")
        for path, key in connection.execute(
                f"SELECT filename, key FROM (SELECT filename, unnest(k) AS key, s, unnest(range(len(k))) AS p "
                f"FROM ({shapes})) GROUP BY filename, key ORDER BY filename, min(s * 4294967296 + p)").fetchall():
            keys[path].append(key)
    found = {}
    for path, names in keys.items():
        seen: dict[str, set[str]] = {name: set() for name in names}
        if names:
            for name, kind in connection.execute(
                    f"SELECT DISTINCT e.key, e.type FROM (SELECT json FROM read_ndjson_objects({literal(path)}) "
                    f"LIMIT {TYPE_SAMPLE_ROWS}) r, json_each(r.json) e").fetchall():
                if kind is not None and name in seen:
                    seen[name].add(_DUCKDB_JSON_TYPES.get(kind, "mixed"))
        found[path] = merge_types({name: kinds or {"null"} for name, kinds in seen.items()})
    return found


def key_counts(connection: duckdb.DuckDBPyConnection, paths: Sequence[str], leaving_out: Sequence[str],
               limit: int) -> tuple[int, list[tuple[str, int]]]:
    """The keys of the files' objects other than ``leaving_out``: how many distinct ones, and the
    ``limit`` carried by most objects with that number (most first, then by key)."""
    if not paths:
        return 0, []
    left_out = "[" + ", ".join(literal(k) for k in leaving_out) + "]::VARCHAR[]"
    counted = (f"SELECT key, count(*) AS n FROM (SELECT unnest(list_distinct(json_keys(json))) AS key FROM "
               f"read_ndjson_objects({files_literal(paths)})) WHERE NOT list_contains({left_out}, key) GROUP BY key")
    rows = connection.execute(f"SELECT key, n, count(*) OVER () FROM ({counted}) ORDER BY n DESC, key "
                              f"LIMIT {int(limit)}").fetchall()
    return (rows[0][2] if rows else 0), [(key, int(n)) for key, n, _ in rows]
