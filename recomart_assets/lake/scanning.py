"""Out-of-core scans of a partition's files with DuckDB: the connection sealing and validation use,
and the scans that find every field of a day's JSON Lines files and count its keys.

A day of a storefront's clickstream is several GB of JSON Lines: DuckDB reads it in parallel and
spills beyond its memory limit, so neither the seal nor the checks hold a day in Python objects.

Wide files are streamed instead. DuckDB's JSON functions work on 2,048 objects at a time per thread,
so their memory grows with the events' width: 1,000-key events of 20 kB ran a 512 MB limit out, and
DuckDB refuses an object over 16 MB outright. A file whose longest line is over
:data:`WIDE_LINE_BYTES` (measured once by the seal, :func:`line_widths`, and recorded) is read one
line at a time with orjson, holding one object, the fields asked for and a count per key: the same
fields, types, counts and text values as DuckDB gives. Most days have no wide file and take DuckDB's
path alone.
"""

from __future__ import annotations

import queue
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import duckdb
import numpy as np
import orjson
import pyarrow as pyarrow_lib
from upath import UPath

from recomart_assets.errors import CorruptFileError, RecomartError, ScanError
from recomart_assets.lake.fields import TYPE_SAMPLE_ROWS, json_text, json_type, merge_types, shape_order
from recomart_assets.lake.manifest import Manifest
from recomart_assets.lake.readers import verify_streaming
from recomart_assets.lake.zone import RawZone
from recomart_assets.text import excerpt

# DuckDB's own limit (it spills beyond it); the process adds Python and whatever the caller holds.
DEFAULT_MEMORY_LIMIT = "512MB"
# Files with a longer line are streamed (see above): 2,048 lines of this many bytes are 16 MB a thread.
WIDE_LINE_BYTES = 8 * 1024
_WIDTH_CHUNK = 16 * 1024 * 1024
T = TypeVar("T")  # a Lanes job's item
R = TypeVar("R")  # a Lanes job's result
# DuckDB's JSON type names -> the JSON types the fields record.
_DUCKDB_JSON_TYPES = {"VARCHAR": "string", "BIGINT": "integer", "UBIGINT": "integer", "DOUBLE": "number",
                      "BOOLEAN": "boolean", "OBJECT": "object", "ARRAY": "array", "NULL": "null"}


def connect(spill_dir: str, memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int | None = None
            ) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that spills to ``spill_dir``, with UTC as its time zone and no progress bar."""
    config: dict[str, str | bool | int | float | list[str]] = {"memory_limit": memory_limit, "temp_directory": spill_dir, "preserve_insertion_order": True}
    if threads:
        config["threads"] = threads
    connection = duckdb.connect(config=config)
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET enable_progress_bar = false")  # a long scan would fill a run's log with bars
    return connection


class Lanes:
    """DuckDBs of one thread each (in memory, splitting a memory limit, spilling to their own folders
    under ``spill_dir``) that run independent jobs side by side: :meth:`map`.

    On two cores, one DuckDB query over two threads costs a sixth to a quarter more CPU than the same
    work split over two one-thread DuckDBs (a 4M-event day's columnar copies: about 2.5 s against
    2.0 s of CPU per million events, the key pass likewise), in the same wall time: jobs that need no
    result of one another (a file's copy, a group of files' keys) take lanes."""

    def __init__(self, spill_dir: str, count: int = 2, memory_limit: str = "256MB") -> None:
        self._free: queue.SimpleQueue[duckdb.DuckDBPyConnection] = queue.SimpleQueue()
        self._connections = [connect(f"{spill_dir}/lane-{n}", memory_limit, threads=1) for n in range(count)]
        for connection in self._connections:
            self._free.put(connection)

    def map(self, job: Callable[[duckdb.DuckDBPyConnection, T], R], items: Sequence[T]) -> list[R]:
        """``job(connection, item)`` for each item, at most one job per lane at a time, in item order."""
        def run(item: T) -> R:
            connection = self._free.get()
            try:
                return job(connection, item)
            finally:
                self._free.put(connection)

        with ThreadPoolExecutor(max_workers=len(self._connections), thread_name_prefix="recomart-lane") as pool:
            return list(pool.map(run, items))  # DuckDB releases the GIL while it works

    def close(self) -> None:
        """Close every lane's DuckDB (its spilled files go with it)."""
        for connection in self._connections:
            connection.close()


def _verify_all(files: list[tuple[UPath, Manifest]]) -> None:
    """Verify each file in turn (raises on the first that does not match its manifest)."""
    for path, manifest in files:
        verify_streaming(path, manifest)


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
    pending = pool.submit(_verify_all, files)
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


def scan_failure(exc: duckdb.Error, subject: str) -> RecomartError:
    """The error to raise for a DuckDB scan that failed: a file that is not JSON Lines only when DuckDB
    could not parse it; running out of memory or disk, or any other engine failure, is a
    :class:`~recomart_assets.errors.ScanError` that says the files are not at fault."""
    message = excerpt(str(exc).split("\n", 1)[0])
    if isinstance(exc, duckdb.InvalidInputException) and "maximum_object_size" not in message:
        return CorruptFileError(f"{subject}: a file is not JSON Lines ({message})")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return ScanError(f"{subject}: DuckDB ran out of memory scanning the files, which are not at fault ({message})")
    return ScanError(f"{subject}: DuckDB failed scanning the files, which are not at fault "
                     f"({type(exc).__name__}: {message})")


def line_widths(paths: Sequence[str]) -> dict[str, int]:
    """Path -> the length in bytes of its longest line (newline excluded): one read at disk speed,
    holding one chunk, which decides whether the file is wide (:data:`WIDE_LINE_BYTES`)."""
    widths = {}
    for path in paths:
        widest = current = 0  # current: bytes of the line still open at the end of the last chunk
        with open(path, "rb") as handle:
            while chunk := handle.read(_WIDTH_CHUNK):
                ends = np.flatnonzero(np.frombuffer(chunk, np.uint8) == 10)
                if not ends.size:
                    current += len(chunk)
                    continue
                widest = max(widest, current + int(ends[0]), int(np.diff(ends).max() - 1) if ends.size > 1 else 0)
                current = len(chunk) - int(ends[-1]) - 1
        widths[path] = max(widest, current)
    return widths


def is_wide(width: int) -> bool:
    """True when a file whose longest line is ``width`` bytes must be streamed line by line (over
    :data:`WIDE_LINE_BYTES`) instead of scanned by DuckDB."""
    return width > WIDE_LINE_BYTES


def objects(path: str) -> Iterator[dict]:
    """A JSON Lines file's objects, one line at a time (blank lines skipped; a line holding another JSON
    value is an object without keys, as DuckDB reads it). A line that is not JSON makes the file corrupt."""
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise CorruptFileError(f"{path}: not JSON Lines, line {number} is not JSON "
                                       f"({excerpt(str(exc))})") from None
            yield value if isinstance(value, dict) else {}


def _streamed_fields(path: str) -> dict[str, str]:
    """:func:`scan_fields` of one file, streamed: memory holds one object and the file's key sets."""
    shapes: Counter = Counter()
    seen: dict[str, set[str]] = {}
    for row, record in enumerate(objects(path)):
        shapes[tuple(record)] += 1
        if row < TYPE_SAMPLE_ROWS:
            for name, value in record.items():
                seen.setdefault(name, set()).add(json_type(value))
    return merge_types({name: seen.get(name) or {"null"} for name in shape_order(shapes)})


def streamed_rows(paths: Sequence[str], keys: Sequence[str], names: Sequence[str]) -> pyarrow_lib.Table:
    """The files' objects streamed, in file order: column ``names[i]`` holds key ``keys[i]`` as text
    (:func:`~recomart_assets.lake.fields.json_text`), ``filename`` the object's file. Only the keys
    asked for are kept, so a wide file becomes a narrow table."""
    columns: list[list] = [[] for _ in keys]
    files = []
    for path in paths:
        for record in objects(path):
            files.append(path)
            for column, key in zip(columns, keys, strict=True):
                column.append(json_text(record.get(key)))
    arrays = {"filename": pyarrow_lib.array(files, pyarrow_lib.string())}
    arrays.update({name: pyarrow_lib.array(column, pyarrow_lib.string()) for name, column in zip(names, columns, strict=True)})
    return pyarrow_lib.table(arrays)


def event_rows(connection: duckdb.DuckDBPyConnection, paths: Sequence[str], widths: Mapping[str, int],
               keys: Sequence[str]) -> str:
    """SQL of the files' objects as ``filename`` and each of ``keys`` as text under its own name: a
    source's own fixed keys (the seal's ``event_id``), never the data's. Narrow files are read by
    ``read_json``; wide ones streamed (:func:`streamed_rows`, registered on the connection)."""
    wide = [path for path in paths if is_wide(widths[path])]
    narrow = [path for path in paths if not is_wide(widths[path])]
    parts = []
    if narrow:
        columns = ", ".join(f"{literal(key)}: 'VARCHAR'" for key in keys)
        parts.append(f"SELECT * FROM read_json({files_literal(narrow)}, format='newline_delimited', filename=true, "
                     f"columns={{{columns}}})")
    if wide:
        connection.register("__streamed_rows", streamed_rows(wide, keys, keys))
        parts.append("SELECT * FROM __streamed_rows")
    return "(" + " UNION ALL BY NAME ".join(parts) + ")"


def scan_fields(connection: duckdb.DuckDBPyConnection, paths: Sequence[str],
                widths: Mapping[str, int] | None = None) -> dict[str, dict[str, str]]:
    """Path -> the fields of that JSON Lines file: every top-level key of its objects (a file's most
    common key set first, then the keys of rarer ones; ties by their keys) and each key's JSON type in its first
    :data:`~recomart_assets.lake.fields.TYPE_SAMPLE_ROWS` objects (``null`` if only seen later).

    Keys are never written into the SQL: the order is computed from the key sets (a key's first key
    set, then its place in it), the types from the objects' entries (``json_each``), so any key, and
    a day with thousands of them, scans the same way. Wide files (by ``widths``, measured when not
    given) are streamed.
    """
    widths = widths if widths is not None else line_widths(paths)
    wide = [path for path in paths if is_wide(widths[path])]
    found = {path: _streamed_fields(path) for path in wide}
    found.update(_duckdb_fields(connection, [path for path in paths if path not in found]))
    return {path: found[path] for path in paths}


def _duckdb_fields(connection: duckdb.DuckDBPyConnection, paths: Sequence[str]) -> dict[str, dict[str, str]]:
    keys: dict[str, list[str]] = {path: [] for path in paths}
    plain: dict[str, bool] = {}
    if paths:
        # Key lists grouped by their JSON text (exact: one text per list), a fifth cheaper than by the
        # lists themselves. plain: every key set of the file has a key and no key twice (see _sample_types)
        shapes = (f"SELECT filename, k, row_number() OVER (PARTITION BY filename ORDER BY n DESC, k) AS s, "
                  f"len(k) > 0 AND len(k) = len(list_distinct(k)) AS plain FROM "
                  f"(SELECT filename, coalesce(from_json(t, '[\"VARCHAR\"]'), []) AS k, n FROM "
                  f"(SELECT filename, to_json(json_keys(json))::VARCHAR AS t, count(*) AS n FROM "
                  f"read_ndjson_objects({files_literal(paths)}, filename=true) GROUP BY ALL))")
        for path, key, all_plain in connection.execute(
                f"SELECT filename, key, bool_and(bool_and(plain)) OVER (PARTITION BY filename) FROM "
                f"(SELECT filename, unnest(k) AS key, s, unnest(range(len(k))) AS p, plain FROM ({shapes})) "
                f"GROUP BY filename, key ORDER BY filename, min(s * 4294967296 + p)").fetchall():
            keys[path].append(key)
            plain[path] = all_plain
    return {path: merge_types(_sample_types(connection, path, names, plain.get(path, False)))
            for path, names in keys.items()}


def _sample_types(connection: duckdb.DuckDBPyConnection, path: str, names: Sequence[str],
                  plain: bool) -> dict[str, set[str]]:
    """Key -> the JSON types of its values in the file's first :data:`TYPE_SAMPLE_ROWS` objects.

    A plain file (every object has keys, none twice) is sampled with one ``json_type`` per object
    over the keys' JSON Pointers: a fifth of the cost of ``json_each``, which makes a row per entry
    (it was a quarter of a seal). Otherwise ``json_each``, which sees a repeated key's every value
    and a line that is no object as the pointers would not."""
    seen: dict[str, set[str]] = {name: set() for name in names}
    if not names:
        return {}
    sample = f"(SELECT json FROM read_ndjson_objects({literal(path)}) LIMIT {TYPE_SAMPLE_ROWS}) r"
    if plain:
        pointers = "[" + ", ".join(literal(json_pointer(name)) for name in names) + "]"
        pairs = {(name, kind) for (kinds,) in connection.execute(
            f"SELECT DISTINCT json_type(r.json, {pointers}) FROM {sample}").fetchall()
                 for name, kind in zip(names, kinds, strict=True)}
    else:
        pairs = set(connection.execute(f"SELECT DISTINCT e.key, e.type FROM {sample}, json_each(r.json) e").fetchall())
    for name, kind in pairs:
        if kind is not None and name in seen:
            seen[name].add(_DUCKDB_JSON_TYPES.get(kind, "mixed"))
    return {name: kinds or {"null"} for name, kinds in seen.items()}


def key_counts(connection: duckdb.DuckDBPyConnection, paths: Sequence[str], leaving_out: Sequence[str],
               limit: int, widths: Mapping[str, int]) -> tuple[int, list[tuple[str, int]]]:
    """The keys of the files' objects other than ``leaving_out``: how many distinct ones, and the
    ``limit`` carried by most objects with that number (most first, then by key). Wide files (by
    ``widths``) are counted streamed, and their counts added to DuckDB's in the same query."""
    wide = [path for path in paths if is_wide(widths[path])]
    narrow = [path for path in paths if not is_wide(widths[path])]
    if not paths:
        return 0, []
    parts = []
    if narrow:
        parts.append(f"SELECT key, count(*) AS n FROM (SELECT unnest(list_distinct(json_keys(json))) AS key FROM "
                     f"read_ndjson_objects({files_literal(narrow)})) GROUP BY key")
    if wide:
        streamed: Counter = Counter()
        for path in wide:
            for record in objects(path):
                streamed.update(record.keys())
        connection.register("__streamed_keys", pyarrow_lib.table({
            "key": pyarrow_lib.array(list(streamed), pyarrow_lib.string()),
            "n": pyarrow_lib.array(list(streamed.values()), pyarrow_lib.int64())}))
        parts.append("SELECT key, n FROM __streamed_keys")
    left_out = "[" + ", ".join(literal(k) for k in leaving_out) + "]::VARCHAR[]"
    counted = (f"SELECT key, sum(n) AS n FROM ({' UNION ALL '.join(parts)}) WHERE NOT list_contains({left_out}, key) "
               f"GROUP BY key")
    try:
        rows = connection.execute(f"SELECT key, n, count(*) OVER () FROM ({counted}) ORDER BY n DESC, key "
                                  f"LIMIT {int(limit)}").fetchall()
    finally:
        if wide:
            connection.unregister("__streamed_keys")
    return (rows[0][2] if rows else 0), [(key, int(n)) for key, n, _ in rows]
