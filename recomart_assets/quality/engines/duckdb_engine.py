"""The out-of-core engine: the compiled schema (:mod:`recomart_assets.quality.engines.sql`) run by DuckDB.

Chosen by measurement over pandera's polars backend (lazy frames) and a hand-written DuckDB pass
(see docs/quality.md, "Engines"): it reads every file once, spills to disk beyond its memory
limit, and computes the checks, profiles, charts and segments in a few passes over a columnar
table, so peak memory stays flat as the day grows.

A sealed clickstream day is read from the columnar copies its seal wrote
(:mod:`~recomart_assets.lake.columnar`: each event's fields as text in Parquet, bound to the raw
file's manifest) when every file has a current one: ``typed`` is then a view over them, so no JSON
is parsed again and nothing is loaded or spilled. Otherwise, or when a copy turns out damaged, the
raw files are read as below, with the same results.

Each file read is verified against its manifest (size and sha256, or md5 for a manifest
without one; one streaming read, :func:`~recomart_assets.lake.scanning.local_files`) before any
of its rows counts: local files while DuckDB loads them, remote ones while they are copied to the
local files DuckDB reads. CSV is read with every column as text (an empty cell is missing, as
in the reference engine); JSON Lines with every field as text (a number or a nested value becomes
its JSON text), unknown fields kept as columns: the fields a source recorded for a file whose md5
still matches (the clickstream seal records them), else found by one pass over the object keys.

Names are data: each field is read from the raw objects by its JSON Pointer (a string literal,
:func:`~recomart_assets.lake.scanning.json_pointer`) into a column named by position, never by
``read_json`` with the keys as column names (which binds them as identifiers: a quote, two keys
equal but for case, ``rowid`` broke it, and its memory grew with keys x rows). Only the schema's
fields and the first few others become columns (:func:`~recomart_assets.lake.fields.profiled`);
the remaining keys of a wide day are counted, in one more scan made only when there are any. A file
with a line over :data:`~recomart_assets.lake.scanning.WIDE_LINE_BYTES` (as its seal recorded, else
measured) is streamed in Python instead, only its profiled fields kept, and its rows are loaded in
their place in file order, so a day of wide events stays within the memory budget.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from pathlib import Path

import duckdb
import pandera.pandas as pa
import pyarrow as pyarrow_lib
from upath import UPath

from recomart_assets import datasets
from recomart_assets.errors import CorruptFileError
from recomart_assets.lake import Manifest, RawZone, complete_files
from recomart_assets.lake.columnar import ColumnarCopy, find_copy
from recomart_assets.lake.columnar import column as copy_column
from recomart_assets.lake.fields import MAX_LISTED_FIELDS, extra_fields, merge_types, profiled
from recomart_assets.lake.scanning import (
    DEFAULT_MEMORY_LIMIT,
    connect,
    files_literal,
    is_wide,
    json_pointer,
    key_counts,
    line_widths,
    literal,
    local_files,
    scan_fields,
    streamed_rows,
)
from recomart_assets.logs import get_logger
from recomart_assets.quality.engines.loading import quarantined
from recomart_assets.quality.engines.outcome import Outcome, missing_outcome
from recomart_assets.quality.engines.profiling import add_field_name_checks
from recomart_assets.quality.engines.references import ReferenceData
from recomart_assets.quality.engines.sql.compiler import (
    CATEGORY_TABLE,
    ROW,
    Found,
    Plan,
    column_id,
    load_query,
    reference_tables,
)
from recomart_assets.quality.engines.sql.dialect import DUCKDB
from recomart_assets.quality.engines.sql.passes import SqlValidation, sql_outcome
from recomart_assets.quality.rules.checks import DEFAULT_FAIL_RATE, DatasetValidation
from recomart_assets.quality.rules.schemas import schema_for

log = get_logger("quality.duckdb")

ENGINE = "duckdb"
# Up to this many rows, distinct counts of typed columns are exact; above, HyperLogLog estimates.
EXACT_DISTINCT_ROWS = 2_000_000
# DuckDB's limit when validating from a sealed day's columnar copies. Nothing is loaded then: each
# pass streams the columns it needs, and its aggregates and sorts spill beyond the limit, so a small
# one costs no time and keeps the peak flat in the day's size. Measured in one process (validation
# alone): 4M events 2.25 s and 386 MB at 128 MB against 2.37 s and 392 MB at 512 MB; 20M events
# 12.3 s at both, 464 MB against 774 MB; exact distinct counts of 4M rows still ran (2.8 s, 449 MB).
# Loading raw files into a table keeps ``memory_limit`` (512 MB): it holds the day's rows.
COPIES_MEMORY_LIMIT = "128MB"


class DuckDBRunner:
    """A :class:`~recomart_assets.quality.engines.sql.dialect.SqlRunner` on DuckDB."""

    dialect = DUCKDB

    def __init__(self, connection: duckdb.DuckDBPyConnection):
        """Run the SQL passes on ``connection``, which the caller opened (memory limit set, partition loaded) and
        closes."""
        self.connection = connection

    def rows(self, query: str) -> list[tuple]:
        """Every row ``query`` returns, fetched at once: the passes only ask for aggregates and samples bounded by
        ``LIMIT``, so the result stays small whatever the day's size."""
        return self.connection.execute(query).fetchall()

    def create_temp(self, name: str, query: str, view: bool = False) -> None:
        """``query``'s result as the temporary table (or view) ``name`` of this connection, replacing any of that
        name; a view is recomputed on each read, a table once."""
        kind = "VIEW" if view else "TABLE"
        self.connection.execute(f"CREATE OR REPLACE TEMP {kind} {name} AS {query}")


def json_fields(connection: duckdb.DuckDBPyConnection, paths: list[str], recorded: dict[str, dict] | None = None,
                widths: dict[str, int] | None = None) -> tuple[list[str], dict[str, str]]:
    """Every top-level key of the files' objects (file by file, in the order of ``paths``: the
    partition's file order) and the JSON type of each as observed in the first rows of each file.

    ``recorded``: path -> what a source recorded of that file's fields (its content verified against
    the same manifest, :func:`~recomart_assets.lake.fields.recorded`); the other files, and those
    whose record left fields out, are scanned (:func:`~recomart_assets.lake.scanning.scan_fields`;
    ``widths``: their longest lines, measured when not given).
    """
    complete = {path: entry["fields"] for path, entry in (recorded or {}).items() if not entry.get("fields_left_out")}
    per_file = {**complete, **scan_fields(connection, [p for p in paths if p not in complete], widths)}
    keys: list[str] = []
    seen: dict[str, set[str]] = {}
    for path in paths:
        for name, kind in per_file[path].items():
            if name not in seen:
                keys.append(name)
            seen.setdefault(name, set()).add(kind)
    return keys, merge_types(seen)


@dataclass
class Loaded:
    """What loading a partition as ``typed`` found: its columns (in order), their observed types, every
    field name the files have (JSON Lines; CSV headers are checked at intake) and the keys that were
    only counted (:func:`~recomart_assets.lake.fields.extra_fields`)."""

    columns: list[str]
    observed: dict[str, str]
    names: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def _positional(count: int, values: list[str]) -> str:
    return ", ".join(f"{value} AS {DUCKDB.quote(column_id(index))}" for index, value in zip(range(count), values,
                                                                                         strict=True))


def _json_sources(connection: duckdb.DuckDBPyConnection, paths: list[str], columns: list[str],
                  widths: dict[str, int]) -> Iterator[str]:
    """The files' rows as sources of the ``columns`` (by position), one per run of narrow or wide
    files in path order: narrow runs read by DuckDB (each field by its JSON Pointer), wide ones
    streamed into a table of these columns alone, held only while its rows are loaded."""
    pointers = ", ".join(literal(json_pointer(c)) for c in columns)
    for wide, grouped in groupby(paths, key=lambda path: is_wide(widths[path])):
        run = list(grouped)
        if not wide:
            yield (f"(SELECT {_positional(len(columns), [f'v[{i + 1}]' for i in range(len(columns))])} FROM "
                   f"(SELECT json_extract_string(json, [{pointers}]) AS v FROM "
                   f"read_ndjson_objects({files_literal(run)})) objects)")
            continue
        connection.register("__streamed_rows", streamed_rows(run, columns, [column_id(i) for i in range(len(columns))]))
        try:
            yield "(SELECT * EXCLUDE (filename) FROM __streamed_rows)"
        finally:
            connection.unregister("__streamed_rows")


def load_table(connection: duckdb.DuckDBPyConnection, schema: pa.DataFrameSchema, dataset: str,
               paths: list[str], recorded: dict[str, dict] | None = None) -> Loaded:
    """Load the files as ``typed`` (see :func:`~recomart_assets.quality.engines.sql.compiler.load_query`), columns named
    by position. ``recorded``: what a source recorded of some JSON Lines files' fields (by path),
    their longest lines among it; the other files are measured (wide ones are streamed)."""
    spec = datasets.get(dataset)
    readable = [p for p in paths if Path(p).stat().st_size > 0]
    loaded = Loaded([], {})
    sources: Iterable[str] = ()
    if spec.format == "jsonl":
        recorded = {path: entry for path, entry in (recorded or {}).items() if path in readable}
        widths = {path: entry["widest_line"] for path, entry in recorded.items() if "widest_line" in entry}
        widths.update(line_widths([path for path in readable if path not in widths]))
        keys, observed = json_fields(connection, readable, recorded, widths)
        columns = profiled(keys, schema.columns)
        loaded = Loaded(columns, {c: observed[c] for c in columns}, keys)
        if len(columns) < len(keys):
            loaded.extra = extra_fields(*key_counts(connection, readable, columns, MAX_LISTED_FIELDS, widths))
        if columns and readable:
            sources = _json_sources(connection, readable, columns, widths)
    elif readable:
        csv = (f"read_csv({files_literal(readable)}, header=true, all_varchar=true, union_by_name=true, delim=',', "
               f"quote='\"', escape='\"', allow_quoted_nulls=true, encoding='utf-8')")
        columns = [row[0] for row in connection.execute(f"DESCRIBE SELECT * FROM {csv}").fetchall()]
        loaded = Loaded(columns, {c: "string" for c in columns})
        # DuckDB's own (de-duplicated) header names, taken by position: ``#1`` is the first column
        sources = [f"(SELECT {_positional(len(columns), [f'#{i + 1}' for i in range(len(columns))])} FROM {csv})"]
    loaded.columns = loaded.columns or [name for name, column in schema.columns.items() if column.required]
    # no rows at all (empty files): zero rows of the required columns are valid
    empty = f"(SELECT {_positional(len(loaded.columns), ['CAST(NULL AS VARCHAR)'] * len(loaded.columns))} LIMIT 0)"
    connection.execute(f"CREATE TEMP TABLE t_load AS {load_query(DUCKDB, schema, loaded.columns, empty + ' src')}")
    for source in sources:  # in file order: rowid is the row's place in the partition
        connection.execute(f"INSERT INTO t_load {load_query(DUCKDB, schema, loaded.columns, source + ' src')}")
    connection.execute(f"CREATE TEMP VIEW typed AS SELECT *, rowid AS {ROW} FROM t_load")
    return loaded


def recorded_fields(zone: RawZone, spec: datasets.DatasetSpec, day: str, files: list[tuple[UPath, Manifest]],
                    paths: list[str]) -> dict[str, dict]:
    """Local path -> what its source recorded of its fields, for files whose md5 is still the recorded one."""
    reader = spec.recorded_fields_reader()
    if reader is None or spec.format != "jsonl":
        return {}
    recorded = reader(zone, day)
    return {local: recorded[path.name][1] for (path, manifest), local in zip(files, paths, strict=True)
            if recorded.get(path.name, ("",))[0] == manifest.md5}


def register_references(connection: duckdb.DuckDBPyConnection, references: ReferenceData) -> None:
    """Each reference's ids as its generated table (:func:`reference_tables`), and the categories."""
    ids = references.references.ids
    for key, table in reference_tables(references.references).items():
        connection.register(table, pyarrow_lib.table({"id": pyarrow_lib.array(ids[key].astype(str), pyarrow_lib.string())}))
    if references.categories is not None:
        categories = references.categories
        connection.register(CATEGORY_TABLE, pyarrow_lib.table({
            "product_id": pyarrow_lib.array(categories.index.astype(str), pyarrow_lib.string()),
            "category": pyarrow_lib.array(categories.astype(object).where(categories.notna(), None).tolist(),
                                          pyarrow_lib.string()),
        }))


class CopiesUnusable(Exception):
    """The columnar copies cannot stand in for the raw files (one is damaged, or the day has more keys
    than columns, which are counted in the raw files): validate from the raw files instead."""


def load_copies(connection: duckdb.DuckDBPyConnection, schema: pa.DataFrameSchema,
                copies: Sequence[tuple[str, dict[str, str], int]]) -> Loaded:
    """Make ``typed`` a view over a day's columnar copies (:mod:`~recomart_assets.lake.columnar`):
    ``copies`` holds, in file order, each copy's local path, its file's fields and its record count.

    Nothing is loaded: the copies are already columnar, compressed and on disk, so every pass reads
    just the columns it needs from them (memory stays flat however large the day, with nothing to
    spill), and ``__row`` is the row's place in the partition (the record counts before its file
    plus its place in the file), the row number loading the raw files gives. Copies of files with
    the same fields are read by one scan (DuckDB reads its files in parallel; a union of one scan per
    file ran about half as fast). A field a file lacks is NULL, as its JSON Pointer gives. Raises :class:`CopiesUnusable` when the day has more keys than
    columns: the others are counted in the raw files.
    """
    keys, observed = json_fields(connection, [path for path, _, _ in copies],
                                 {path: {"fields": fields} for path, fields, _ in copies})
    columns = profiled(keys, schema.columns)
    if len(columns) < len(keys):
        raise CopiesUnusable(f"{len(keys) - len(columns)} fields are not columns: their keys are counted in the raw "
                             f"files")
    groups: dict[tuple[str, ...], list[tuple[str, int]]] = {}  # files with the same fields: one scan
    offset = 0
    for path, fields, records in copies:
        groups.setdefault(tuple(fields), []).append((path, offset))
        offset += records
    parts = []
    for names, members in groups.items():
        values = [DUCKDB.quote(copy_column(names.index(c))) if c in names else "CAST(NULL AS VARCHAR)" for c in columns]
        offsets = "([" + ", ".join(str(start) for _, start in members) + "]::BIGINT[])"
        parts.append(f"SELECT {_positional(len(columns), values)}, file_row_number + "
                     f"{offsets}[CAST(file_index AS BIGINT) + 1] AS {ROW} "
                     f"FROM read_parquet({files_literal([path for path, _ in members])}, file_row_number = true)")
    source = "(" + " UNION ALL ".join(parts) + ") src"
    connection.execute(f"CREATE TEMP VIEW typed AS {load_query(DUCKDB, schema, columns, source, passed=(ROW,))}")
    return Loaded(columns, {c: observed[c] for c in columns}, keys)


def columnar_copies(zone: RawZone, spec: datasets.DatasetSpec, day: str,
                    files: list[tuple[UPath, Manifest]]) -> list[ColumnarCopy] | None:
    """The current columnar copy of every non-empty file, in file order; None unless each has one
    (a day is read from its copies or from its raw files, never from a mix)."""
    readable = [(path, manifest) for path, manifest in files if manifest.bytes > 0]
    if spec.format != "jsonl" or not readable:
        return None
    copies = []
    for path, manifest in readable:
        copy = find_copy(zone, spec.name, day, path, manifest)
        if copy is None:
            return None
        copies.append(copy)
    return copies


def validate_partition(
    zone: RawZone,
    dataset: str,
    day: date | str,
    references: ReferenceData,
    fail_rate: float = DEFAULT_FAIL_RATE,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    exact_distinct_rows: int = EXACT_DISTINCT_ROWS,
) -> Outcome:
    """Verify, load and validate one dataset's partition with DuckDB: from the columnar copies its
    seal wrote when every file has a current one (DuckDB limited to :data:`COPIES_MEMORY_LIMIT`),
    else (or when a copy turns out damaged) from the raw files, loaded within ``memory_limit``, with
    the same results."""
    day = str(day)
    spec = datasets.get(dataset)
    files = list(complete_files(zone.partition_dir(dataset, day), spec.file_pattern))
    quarantine = quarantined(zone, dataset, day)
    if not files:
        return missing_outcome(dataset, day, quarantine, ENGINE)
    copies = columnar_copies(zone, spec, day, files)
    validated = None
    with tempfile.TemporaryDirectory(prefix="recomart-duckdb-") as workdir:
        if copies:
            try:
                validated = _validate_copies(zone, dataset, day, copies, references, fail_rate, COPIES_MEMORY_LIMIT,
                                             exact_distinct_rows, workdir)
            except CopiesUnusable as exc:
                log.warning("%s %s: reading the raw files instead of their columnar copies (%s)", dataset, day, exc)
        if validated is None:
            validated = _validate_raw(zone, dataset, day, files, references, fail_rate, memory_limit,
                                      exact_distinct_rows, workdir)
    sql, validation, found, loaded = validated
    outcome = sql_outcome(sql, validation, found, files, quarantine, loaded.observed, ENGINE)
    outcome.extra_fields = loaded.extra
    return outcome


Validated = tuple[SqlValidation, DatasetValidation, Found, Loaded]


def _run(connection: duckdb.DuckDBPyConnection, dataset: str, day: str, schema: pa.DataFrameSchema, loaded: Loaded,
         references: ReferenceData, fail_rate: float, exact_distinct_rows: int) -> Validated:
    """The compiled schema's passes over ``typed``."""
    plan = Plan(DUCKDB, dataset, day, schema, loaded.columns, references.references, references.categories is not None)
    sql = SqlValidation(DuckDBRunner(connection), plan, fail_rate, exact_distinct_rows)
    validation, found = sql.run()
    add_field_name_checks(validation, loaded.names)
    return sql, validation, found, loaded


def _validate_copies(zone: RawZone, dataset: str, day: str, copies: list[ColumnarCopy], references: ReferenceData,
                     fail_rate: float, memory_limit: str, exact_distinct_rows: int, workdir: str) -> Validated:
    """Validate from the copies, each verified against its own manifest while the passes read it: a
    copy that does not match (or a pass failing on its bytes) raises :class:`CopiesUnusable`, so no
    result computed from it is kept."""
    try:
        paths, verifying = local_files(zone, [(copy.path, copy.manifest) for copy in copies], workdir)
    except CorruptFileError as exc:  # a remote copy, verified while it was fetched
        raise CopiesUnusable(str(exc)) from exc
    connection = connect(tempfile.mkdtemp(prefix="spill-", dir=workdir), memory_limit)
    try:
        register_references(connection, references)
        schema = schema_for(dataset, day, references.references)
        loaded = load_copies(connection, schema, [(path, copy.fields, copy.manifest.record_count)
                                                  for path, copy in zip(paths, copies, strict=True)])
        return _run(connection, dataset, day, schema, loaded, references, fail_rate, exact_distinct_rows)
    finally:
        connection.close()
        damage = verifying.exception() if verifying is not None else None
        if damage is not None:
            raise CopiesUnusable(str(damage)) from damage


def _validate_raw(zone: RawZone, dataset: str, day: str, files: list[tuple[UPath, Manifest]],
                  references: ReferenceData, fail_rate: float, memory_limit: str, exact_distinct_rows: int,
                  workdir: str) -> Validated:
    """Validate from the raw files, each verified against its manifest (while DuckDB loads it) before any row counts."""
    spec = datasets.get(dataset)
    paths, verifying = local_files(zone, files, workdir)
    connection = connect(tempfile.mkdtemp(prefix="spill-", dir=workdir), memory_limit)
    try:
        register_references(connection, references)
        schema = schema_for(dataset, day, references.references)
        loaded = load_table(connection, schema, dataset, paths, recorded_fields(zone, spec, day, files, paths))
        if verifying is not None:
            verifying.result()  # a file that does not match its manifest raises here: no row counts
        return _run(connection, dataset, day, schema, loaded, references, fail_rate, exact_distinct_rows)
    finally:
        connection.close()
        if verifying is not None:
            verifying.result()
