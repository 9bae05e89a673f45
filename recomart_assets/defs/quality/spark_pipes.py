"""Validation on Spark from a Dagster run: ``spark-submit`` through Dagster Pipes.

For a partition above ``RECOMART_SPARK_THRESHOLD_BYTES`` the asset checks do not validate in
process: :func:`validate_on_spark` starts ``spark-submit --master $RECOMART_SPARK_MASTER`` on the
Spark job (:mod:`recomart_assets.quality.engines.spark_job`) with a
:class:`~dagster.PipesSubprocessClient`. Pipes hands the job the partition key and the extras
(raw zone, dataset, failure threshold), streams its log lines into the run, and brings back the
job's validation as a custom message; the checks then judge it with the same code as an in-process
validation, and the metric state the job wrote is what the report reads.

The job's driver runs on this machine (``spark-submit``'s default client deploy mode), with this
interpreter (``PYSPARK_PYTHON``), so Pipes' temporary files reach it; on a cluster the executors
need the package installed and a raw zone they can read (a local folder in local mode, ``s3://``
otherwise).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dagster import AssetCheckExecutionContext, Failure, PipesSubprocessClient

from recomart_assets.config import Settings
from recomart_assets.lake import RawZone
from recomart_assets.quality.engine_choice import fits_one_split
from recomart_assets.quality.engines import spark_job
from recomart_assets.quality.rules.checks import DatasetValidation

SPARK_SUBMIT = "spark-submit"
QUICK_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def spark_submit() -> str:
    """The ``spark-submit`` beside this interpreter (pyspark's, in the ``spark`` extra), else the one on
    ``PATH`` (a Spark distribution's)."""
    beside = Path(sys.executable).parent / SPARK_SUBMIT
    found = str(beside) if beside.exists() else shutil.which(SPARK_SUBMIT)
    if found is None:
        raise Failure(f"{SPARK_SUBMIT} not found: install the spark extra (pip install -e '.[spark]') or a Spark "
                      "distribution, or unset RECOMART_SPARK_THRESHOLD_BYTES to validate with DuckDB")
    return found


def spark_command(master: str, small: bool) -> list[str]:
    """The ``spark-submit`` command line that runs the Spark job against ``master`` (``small``: a partition
    read by one task, whose driver JVM lives seconds: no optimizing JIT, the serial collector)."""
    command = [spark_submit(), "--master", master, "--name", "recomart-quality",
               "--conf", "spark.log.level=WARN", "--conf", "spark.ui.showConsoleProgress=false"]
    if small:
        command += ["--driver-java-options", QUICK_JVM]
    return [*command, str(Path(spark_job.__file__))]


def validate_on_spark(context: AssetCheckExecutionContext, zone: RawZone, dataset: str, day: str, size: int,
                      settings: Settings, fail_rate: float) -> DatasetValidation:
    """Validate the ``day`` of ``dataset`` (``size`` bytes) with ``spark-submit`` through Pipes; the job's
    validation."""
    small = fits_one_split(size)
    client = PipesSubprocessClient(env={"PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable})
    invocation = client.run(
        context=context.op_execution_context,
        command=spark_command(settings.spark_master, small),
        extras={"raw_zone": str(zone.root), "dataset": dataset, "day": day, "fail_rate": fail_rate, "small_data": small},
    )
    sent = [m[spark_job.MESSAGE_KEY] for m in invocation.get_custom_messages()
            if isinstance(m, dict) and spark_job.MESSAGE_KEY in m]
    if len(sent) != 1:
        raise Failure(f"the Spark job for {dataset} {day} sent {len(sent)} validations, expected 1")
    return DatasetValidation.from_dict(sent[0])
