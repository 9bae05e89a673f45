"""The out-of-core engine: the compiled schema (:mod:`recomart_assets.quality.sql`) run by DuckDB.

Chosen by measurement over pandera's polars backend (lazy frames) and a hand-written DuckDB pass
(see docs/quality.md, "Engines"): it reads every file once, spills to disk beyond its memory
limit, and computes the checks, profiles, charts and segments in a few passes over a columnar
table, so peak memory stays flat as the day grows.

Each partition file is verified against its manifest (size and sha256, or md5 for a manifest
without one; one streaming read, :func:`~recomart_assets.lake.scanning.local_files`) before any
of its rows counts: local files while DuckDB loads them, remote ones while they are copied to the
local files DuckDB reads. CSV is read with every column as text (an empty cell is missing, as
in the reference engine); JSON Lines with every field as text (a number or a nested value becomes
its JSON text), unknown fields kept as columns: the fields a source recorded for a file whose md5
still matches (the clickstream seal records them), else found by one pass over the object keys.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import duckdb
import pandera.pandas as pa
import pyarrow as pyarrow_lib
from upath import UPath

from recomart_assets import datasets
from recomart_assets.lake import Manifest, RawZone, complete_files
from recomart_assets.lake.fields import merge_types
from recomart_assets.lake.scanning import DEFAULT_MEMORY_LIMIT, connect, files_literal, local_files, scan_fields
from recomart_assets.quality.checks import DEFAULT_FAIL_RATE
from recomart_assets.quality.loading import quarantined
from recomart_assets.quality.outcome import Outcome, missing_outcome
from recomart_assets.quality.references import ReferenceData
from recomart_assets.quality.schemas import schema_for
from recomart_assets.quality.sql import (
    CATEGORY_TABLE,
    DUCKDB,
    REFERENCE_TABLES,
    ROW,
    Plan,
    SqlValidation,
    load_query,
    sql_outcome,
)

ENGINE = "duckdb"
# Up to this many rows, distinct counts of typed columns are exact; above, HyperLogLog estimates.
EXACT_DISTINCT_ROWS = 2_000_000


class DuckDBRunner:
    """A :class:`~recomart_assets.quality.sql.SqlRunner` on DuckDB."""

    dialect = DUCKDB

    def __init__(self, connection: duckdb.DuckDBPyConnection):
        self.connection = connection

    def rows(self, query: str) -> list[tuple]:
        return self.connection.execute(query).fetchall()

    def create_temp(self, name: str, query: str, view: bool = False) -> None:
        kind = "VIEW" if view else "TABLE"
        self.connection.execute(f"CREATE OR REPLACE TEMP {kind} {name} AS {query}")


def json_fields(connection: duckdb.DuckDBPyConnection, paths: list[str],
                recorded: dict[str, dict[str, str]] | None = None) -> tuple[list[str], dict[str, str]]:
    """Every top-level key of the files' objects (file by file, in path order) and the JSON type of
    each as observed in the first rows of each file.

    ``recorded``: path -> the fields a source recorded for that file (its content verified against
    the same manifest); only the other files are scanned (:func:`~recomart_assets.lake.scanning.scan_fields`).
    """
    recorded = recorded or {}
    per_file = {**recorded, **scan_fields(connection, [p for p in paths if p not in recorded])}
    keys: list[str] = []
    seen: dict[str, set[str]] = {}
    for path in sorted(per_file):
        for name, kind in per_file[path].items():
            if name not in seen:
                keys.append(name)
            seen.setdefault(name, set()).add(kind)
    return keys, merge_types(seen)


def load_table(connection: duckdb.DuckDBPyConnection, schema: pa.DataFrameSchema, dataset: str,
               paths: list[str], recorded: dict[str, dict[str, str]] | None = None) -> tuple[list[str], dict[str, str]]:
    """Load the files as ``typed`` (see :func:`~recomart_assets.quality.sql.load_query`); returns the
    columns and the observed schema. ``recorded``: fields recorded for some JSON Lines files (by path)."""
    spec = datasets.get(dataset)
    readable = [p for p in paths if Path(p).stat().st_size > 0]
    if spec.format == "jsonl":
        columns, observed = json_fields(connection, readable, recorded)
        if columns and readable:
            types = "{" + ", ".join(f"{DUCKDB.literal(c)}: 'VARCHAR'" for c in columns) + "}"
            source = f"read_json({files_literal(readable)}, format='newline_delimited', columns={types})"
        else:
            source = None
    else:
        source = None
        columns, observed = [], {}
        if readable:
            source = (f"read_csv({files_literal(readable)}, header=true, all_varchar=true, union_by_name=true, delim=',', "
                      f"quote='\"', escape='\"', allow_quoted_nulls=true, encoding='utf-8')")
            columns = [row[0] for row in connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
            observed = {c: "string" for c in columns}
    if source is None or not columns:
        # no rows at all (empty files): zero rows of the required columns are valid
        columns = columns or [name for name, column in schema.columns.items() if column.required]
        empty = ", ".join(f"CAST(NULL AS VARCHAR) AS {DUCKDB.quote(c)}" for c in columns)
        connection.execute(f"CREATE TEMP TABLE raw_empty AS SELECT {empty} LIMIT 0")
        source = "raw_empty"
    connection.execute(f"CREATE TEMP TABLE t_load AS {load_query(DUCKDB, schema, columns, source)}")
    connection.execute(f"CREATE TEMP VIEW typed AS SELECT *, rowid AS {ROW} FROM t_load")
    return columns, observed


def recorded_fields(zone: RawZone, spec: datasets.DatasetSpec, day: str, files: list[tuple[UPath, Manifest]],
                    paths: list[str]) -> dict[str, dict[str, str]]:
    """Local path -> the fields its source recorded, for files whose md5 is still the recorded one."""
    reader = spec.recorded_fields_reader()
    if reader is None or spec.format != "jsonl":
        return {}
    recorded = reader(zone, day)
    return {local: recorded[path.name][1] for (path, manifest), local in zip(files, paths, strict=True)
            if recorded.get(path.name, ("",))[0] == manifest.md5}


def register_references(connection: duckdb.DuckDBPyConnection, references: ReferenceData) -> None:
    refs = references.references
    for check, table in REFERENCE_TABLES.items():
        ids = refs.ids_for(check)
        if ids is not None:
            connection.register(table, pyarrow_lib.table({"id": pyarrow_lib.array(ids.astype(str), pyarrow_lib.string())}))
    if references.categories is not None:
        categories = references.categories
        connection.register(CATEGORY_TABLE, pyarrow_lib.table({
            "product_id": pyarrow_lib.array(categories.index.astype(str), pyarrow_lib.string()),
            "category": pyarrow_lib.array(categories.astype(object).where(categories.notna(), None).tolist(),
                                          pyarrow_lib.string()),
        }))


def validate_partition(
    zone: RawZone,
    dataset: str,
    day: date | str,
    references: ReferenceData,
    fail_rate: float = DEFAULT_FAIL_RATE,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    exact_distinct_rows: int = EXACT_DISTINCT_ROWS,
) -> Outcome:
    """Verify, load and validate one dataset's partition with DuckDB."""
    day = str(day)
    spec = datasets.get(dataset)
    files = list(complete_files(zone.partition_dir(dataset, day), spec.file_pattern))
    quarantine = quarantined(zone, dataset, day)
    if not files:
        return missing_outcome(dataset, day, quarantine, ENGINE)
    with tempfile.TemporaryDirectory(prefix="recomart-duckdb-") as workdir:
        paths, verifying = local_files(zone, files, workdir)
        spill = Path(workdir) / "spill"
        spill.mkdir()
        connection = connect(str(spill), memory_limit)
        try:
            register_references(connection, references)
            schema = schema_for(dataset, day, references.references)
            columns, observed = load_table(connection, schema, dataset, paths, recorded_fields(zone, spec, day, files, paths))
            if verifying is not None:
                verifying.result()  # a file that does not match its manifest raises here: no row counts
            plan = Plan(DUCKDB, dataset, day, schema, columns, references.references,
                        references.categories is not None)
            sql = SqlValidation(DuckDBRunner(connection), plan, fail_rate, exact_distinct_rows)
            validation, found = sql.run()
        finally:
            connection.close()
            if verifying is not None:
                verifying.result()
    return sql_outcome(sql, validation, found, files, quarantine, observed, ENGINE)
