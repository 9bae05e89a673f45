"""Which engine validates a partition: DuckDB on this machine, Spark above a size threshold.

One machine validates any day DuckDB can read (it spills beyond its memory limit; see the benchmark
in ``docs/quality.md``); a team whose days outgrow the machine sets a threshold
(``RECOMART_SPARK_THRESHOLD_BYTES``), and the asset checks hand every partition above it to Spark
(``spark-submit`` through Dagster Pipes, ``defs/quality/spark_pipes.py``). The size is the sum of
the partition's complete files as their manifests record it: nothing is read to decide.
"""

from __future__ import annotations

from datetime import date

from recomart_assets import datasets
from recomart_assets.lake import RawZone, complete_files
from recomart_assets.quality.validation import DEFAULT_ENGINE

SPARK = "spark"
# Spark's default spark.sql.files.maxPartitionBytes: a partition up to this size is read by one task.
ONE_SPLIT_BYTES = 128 * 1024 * 1024


def partition_bytes(zone: RawZone, dataset: str, day: date | str) -> int:
    """The bytes of ``dataset``'s complete files for ``day``, from their manifests (0 when it has none)."""
    pattern = datasets.get(dataset).file_pattern
    return sum(manifest.bytes for _, manifest in complete_files(zone.partition_dir(dataset, day), pattern))


def engine_for(size: int, spark_threshold_bytes: int | None) -> str:
    """``spark`` for a partition of ``size`` bytes above the threshold, else the default engine
    (``None``: no threshold, Spark is never chosen)."""
    if spark_threshold_bytes is not None and size > spark_threshold_bytes:
        return SPARK
    return DEFAULT_ENGINE


def fits_one_split(size: int) -> bool:
    """Whether a partition of ``size`` bytes is read by one Spark task: then a short-lived driver JVM
    (no optimizing JIT), one shuffle partition and no code generation cost less than they save
    (measured: a 10-row day's Spark job took 29 s instead of 37-61 s on a loaded 2-core machine)."""
    return size <= ONE_SPLIT_BYTES
