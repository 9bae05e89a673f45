"""The same compiled checks on Spark: for partitions beyond one machine (the ``spark`` extra).

:mod:`recomart_assets.quality.engines.sql` writes Spark SQL from the same pandera schemas, so a partition
validated here has the same rules, names, failure counts, samples and their row numbers, profiles and
segments as on DuckDB or the reference engine: rows are numbered in file order (:func:`numbered`). One
difference: Spark lists a JSON day's fields alphabetically, so a repeated row's sample (which names
every field) lists them in that order. The session is the caller's (a cluster's, through ``spark.master``) or a local one.

Files are verified against their manifests before their rows count: each is streamed once through
md5 on the driver. By default the verified bytes are also written to a local staging folder that
Spark reads (local mode, and any raw zone the driver can read: local, S3 through fsspec). On a
cluster, pass ``read_from_zone=True``: Spark's executors then read the files at their raw-zone URL
(``s3://`` becomes ``s3a://``, which needs the cluster's Hadoop S3 connector) after the driver has
verified them.

Names are data: the frame's columns are renamed by position (:func:`~recomart_assets.quality.engines.sql.compiler.column_id`)
before any SQL sees them, and picked by name only through :meth:`Dialect.quote` (backticks
doubled). JSON Lines fields become columns as on the other engines
(:func:`~recomart_assets.lake.fields.profiled`); Spark's JSON reader itself takes keys equal but
for case as one (``spark.sql.caseSensitive``), so such a day needs a case-sensitive session.
"""

from __future__ import annotations

import csv
import tempfile
from datetime import date
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType
from upath import UPath

from recomart_assets import datasets
from recomart_assets.lake import Manifest, RawZone, complete_files
from recomart_assets.lake.fields import merge_types, profiled
from recomart_assets.lake.readers import verify_streaming
from recomart_assets.quality.engines.loading import quarantined
from recomart_assets.quality.engines.outcome import Outcome, missing_outcome
from recomart_assets.quality.engines.profiling import add_field_name_checks
from recomart_assets.quality.engines.references import ReferenceData
from recomart_assets.quality.engines.sql.compiler import (
    CATEGORY_TABLE,
    ROW,
    Plan,
    column_id,
    load_query,
    reference_tables,
)
from recomart_assets.quality.engines.sql.dialect import SPARK
from recomart_assets.quality.engines.sql.passes import SqlValidation, sql_outcome
from recomart_assets.quality.rules.checks import DEFAULT_FAIL_RATE
from recomart_assets.quality.rules.schemas import schema_for

ENGINE = "spark"
EXACT_DISTINCT_ROWS = 2_000_000
_ID = "__spark_id"  # monotonically_increasing_id, before it becomes ROW (column_id names cannot clash with it)
_PARTITION_SHIFT = 33
_SPARK_JSON_TYPES = {"string": "string", "bigint": "integer", "double": "number", "boolean": "boolean",
                     "struct": "object", "array": "array"}


def local_session(cores: int = 2, shuffle_partitions: int | None = None, small_data: bool = False) -> SparkSession:
    """A local Spark (for tests, benchmarks and single machines): UTC, no UI, few shuffle partitions.

    ``small_data``: tiny partitions (tests), where compiling each query costs more than running it:
    no whole-stage code generation, no adaptive re-planning, one shuffle partition.
    """
    builder = SparkSession.builder.master(f"local[{cores}]").config("spark.ui.enabled", "false")
    return configured(builder, shuffle_partitions or cores * 2, small_data).getOrCreate()


def submitted_session(small_data: bool = False) -> SparkSession:
    """The session of a job started by ``spark-submit``: its master, cores and resources are the
    submitter's (``--master``, ``--conf``), only what the compiled SQL relies on is set here (UTC,
    ANSI)."""
    return configured(SparkSession.builder, None, small_data).getOrCreate()


def configured(builder: SparkSession.Builder, shuffle_partitions: int | None, small_data: bool) -> SparkSession.Builder:
    """``builder`` with what every session validating here needs: UTC (the partition day is a UTC day), ANSI
    SQL (the semantics :data:`~recomart_assets.quality.engines.sql.dialect.SPARK` writes for), and for
    ``small_data`` the tuning of :func:`local_session`."""
    if small_data:
        builder = (builder.config("spark.sql.codegen.wholeStage", "false")
                   .config("spark.sql.adaptive.enabled", "false"))
        shuffle_partitions = 1
    builder = (builder.appName("recomart-quality")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.ansi.enabled", "true"))
    if shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    return builder


class SparkRunner:
    """A :class:`~recomart_assets.quality.engines.sql.dialect.SqlRunner` on a Spark session."""

    dialect = SPARK

    def __init__(self, spark: SparkSession):
        self.spark = spark
        self.cached: list[DataFrame] = []

    def rows(self, query: str) -> list[tuple]:
        """The query's rows as tuples (collected to the driver: only small results are asked for)."""
        return [tuple(row) for row in self.spark.sql(query).collect()]

    def create_temp(self, name: str, query: str, view: bool = False) -> None:
        """A temporary view of the query; a table (not ``view``) is cached so it is computed once."""
        frame = self.spark.sql(query)
        if not view:  # a table: computed once (small: repeated values, failing row numbers)
            frame = frame.cache()
            self.cached.append(frame)
        frame.createOrReplaceTempView(name)

    def release(self) -> None:
        """Frees the cached tables once the checks have run."""
        for frame in self.cached:
            frame.unpersist()


def _strings(columns: list[str]) -> StructType:
    return StructType([StructField(c, StringType(), True) for c in columns])


def _spark_path(path: UPath) -> str:
    text = str(path)
    return "s3a://" + text.removeprefix("s3://") if text.startswith("s3://") else text


def verified_paths(zone: RawZone, files: list[tuple[UPath, Manifest]], staging: str, read_from_zone: bool) -> list[str]:
    """The files Spark reads, each checked against its manifest first (read in place, or from a verified staging copy)."""
    paths = []
    for index, (path, manifest) in enumerate(files):
        if read_from_zone:
            verify_streaming(path, manifest)
            paths.append(_spark_path(path))
        else:
            copy = str(Path(staging) / f"{index:06d}-{path.name}")
            verify_streaming(path, manifest, copy_to=copy)
            paths.append(copy)
    return paths


def _json_frame(spark: SparkSession, paths: list[str], known: list[str]
                ) -> tuple[DataFrame, list[str], dict[str, str], list[str]]:
    """Every profiled field as text; the fields and their JSON types from Spark's inference over all
    rows; every field name."""
    inferred = spark.read.option("primitivesAsString", "false").json(paths).schema
    names = [f.name for f in inferred.fields if f.name != "_corrupt_record"]
    columns = profiled(names, known)
    observed = merge_types({f.name: {_SPARK_JSON_TYPES.get(f.dataType.typeName(), "mixed")} for f in inferred.fields
                            if f.name in columns})
    # one read per file, unioned in file order: the rows' order is the files' (see :func:`numbered`)
    frames = [spark.read.schema(_strings(columns)).json(path) for path in paths]
    frame = frames[0]
    for other in frames[1:]:
        frame = frame.union(other)
    return frame, columns, observed, names


def _csv_header(path: UPath) -> list[str]:
    with path.open("r", encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle), [])


def _csv_frame(spark: SparkSession, paths: list[str], headers_from: list[UPath]) -> tuple[DataFrame | None, list[str]]:
    """Files read with their own header (files may differ), unioned by column name."""
    frames: list[DataFrame] = []
    columns: list[str] = []
    for path, header_path in zip(paths, headers_from, strict=True):
        header = _csv_header(header_path)
        if not header:
            continue
        columns.extend(c for c in header if c not in columns)
        frames.append(spark.read.schema(_strings(header)).option("header", "true").option("multiLine", "true")
                      .option("escape", '"').option("mode", "PERMISSIVE").csv(path))
    if not frames:
        return None, columns
    frame = frames[0]
    for other in frames[1:]:
        frame = frame.unionByName(other, allowMissingColumns=True)
    return frame, columns


def numbered(frame: DataFrame) -> tuple[DataFrame, DataFrame]:
    """``frame`` with :data:`ROW`, each row's place in the partition counted from 0 in file order (DuckDB's
    ``rowid``), so samples are the first failing values in file order and carry their row numbers as
    on the other engines; and the cached frame it is computed from (for the caller to release).

    ``frame``'s rows are in file order within and across its Spark partitions (one read per file,
    unioned in order; a file's splits in offset order). ``monotonically_increasing_id`` puts the Spark
    partition's index above bit 33 and the row's place in it below: one pass counts the rows of each
    Spark partition, and a row's number is the rows of the partitions before it plus its place.
    """
    ids = frame.withColumn(_ID, F.monotonically_increasing_id()).cache()
    counts: dict[int, int] = dict(ids.groupBy(F.shiftright(F.col(_ID), _PARTITION_SHIFT)).count().collect())
    starts: list[int] = []
    total = 0
    for partition in range(max(counts, default=-1) + 1):
        starts.append(total)
        total += counts.get(partition, 0)
    place = F.col(_ID).bitwiseAND(F.lit((1 << _PARTITION_SHIFT) - 1))
    if starts:
        index = (F.shiftright(F.col(_ID), _PARTITION_SHIFT) + 1).cast("int")
        start = F.element_at(F.array(*[F.lit(n).cast("bigint") for n in starts]), index)
        place = place + start
    return ids.withColumn(ROW, place.cast("bigint")).drop(_ID), ids


def register_references(spark: SparkSession, references: ReferenceData) -> None:
    """Each reference's ids as its generated view (:func:`reference_tables`), and the categories."""
    ids = references.references.ids
    for key, table in reference_tables(references.references).items():
        spark.createDataFrame([(str(i),) for i in ids[key]], _strings(["id"])).createOrReplaceTempView(table)
    if references.categories is not None:
        pairs = [(str(p), None if c is None or c != c else str(c)) for p, c in references.categories.items()]
        spark.createDataFrame(pairs, _strings(["product_id", "category"])).createOrReplaceTempView(CATEGORY_TABLE)


def validate_partition(
    zone: RawZone,
    dataset: str,
    day: date | str,
    references: ReferenceData,
    fail_rate: float = DEFAULT_FAIL_RATE,
    spark: SparkSession | None = None,
    read_from_zone: bool = False,
    exact_distinct_rows: int = EXACT_DISTINCT_ROWS,
) -> Outcome:
    """Verify and validate one dataset's partition on Spark (``spark``: the session to use)."""
    day = str(day)
    spark = spark or local_session()
    spec = datasets.get(dataset)
    files = list(complete_files(zone.partition_dir(dataset, day), spec.file_pattern))
    quarantine = quarantined(zone, dataset, day)
    if not files:
        return missing_outcome(dataset, day, quarantine, ENGINE)
    schema = schema_for(dataset, day, references.references)
    with tempfile.TemporaryDirectory(prefix="recomart-spark-") as staging:
        paths = verified_paths(zone, files, staging, read_from_zone)
        kept = [(p, zone_path) for p, (zone_path, m) in zip(paths, files, strict=True) if m.bytes > 0]
        readable = [p for p, _ in kept]
        frame: DataFrame | None = None
        columns: list[str] = []
        observed: dict[str, str] = {}
        names: list[str] = []
        if readable and spec.format == "jsonl":
            frame, columns, observed, names = _json_frame(spark, readable, list(schema.columns))
        elif readable:
            headers_from = [zone_path if read_from_zone else UPath(p) for p, zone_path in kept]
            frame, columns = _csv_frame(spark, readable, headers_from)
            observed = {c: "string" for c in columns}
        if frame is None or not columns:
            columns = columns or [name for name, column in schema.columns.items() if column.required]
            frame = spark.createDataFrame([], _strings(columns))
        frame = frame.select(*[F.col(SPARK.quote(c)) for c in columns])
        frame.toDF(*[column_id(index) for index in range(len(columns))]).createOrReplaceTempView("raw_partition")
        register_references(spark, references)
        runner = SparkRunner(spark)
        loaded, with_ids = numbered(spark.sql(load_query(SPARK, schema, columns, "raw_partition")))
        runner.cached.append(with_ids)
        loaded.createOrReplaceTempView("typed")
        try:
            plan = Plan(SPARK, dataset, day, schema, columns, references.references, references.categories is not None)
            sql = SqlValidation(runner, plan, fail_rate, exact_distinct_rows)
            validation, found = sql.run()
            add_field_name_checks(validation, names)
        finally:
            runner.release()
    return sql_outcome(sql, validation, found, files, quarantine, observed, ENGINE)
