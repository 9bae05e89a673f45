"""The Spark job that validates one partition for a Dagster run: ``spark-submit`` runs this file.

The asset checks start it through Dagster Pipes (``defs/quality/spark_pipes.py``) for a partition
above the Spark threshold. It imports no Dagster, only ``dagster_pipes`` (the dependency-free
protocol) and the Spark engine, so it runs wherever ``spark-submit`` starts a driver with this
package installed. From the Pipes context it takes the partition key and its extras (``raw_zone``,
``dataset``, ``fail_rate``, and ``small_data`` for a partition Spark reads in one task: see
:func:`~recomart_assets.quality.engine_choice.fits_one_split`); it validates with the Spark engine on the session ``spark-submit``
built (its ``--master``: ``local[2]`` here, a cluster's URL for users), writes the metric state into
the raw zone like any validation, and sends the validation back as one custom message
(:data:`MESSAGE_KEY`), from which the Dagster side builds the same asset check results as for a
partition validated in process.
"""

from __future__ import annotations

from functools import partial

from dagster_pipes import PipesContext, open_dagster_pipes

from recomart_assets.lake import RawZone
from recomart_assets.quality.validation import validate

MESSAGE_KEY = "validation"


def run(pipes: PipesContext) -> None:
    """Validate the partition the Pipes context names and report the validation back."""
    # Imported here, not at the top: the Dagster side imports this module for its path and message
    # key, and must load without the ``spark`` extra.
    from recomart_assets.quality.engines import spark_engine

    extras = pipes.extras
    zone = RawZone.at(extras["raw_zone"])
    dataset, day = extras["dataset"], extras["day"]  # the day, not the run's key: a range run validates each day
    spark = spark_engine.submitted_session(small_data=bool(extras.get("small_data", False)))
    try:
        pipes.log.info(f"validating {dataset} {day} on Spark (master {spark.sparkContext.master})")
        outcome = validate(zone, dataset, day, engine=partial(spark_engine.validate_partition, spark=spark),
                           fail_rate=float(extras["fail_rate"]))
    finally:
        spark.stop()
    validation = outcome.validation
    pipes.log.info(f"{dataset} {day}: {validation.status}, {validation.row_count} rows")
    pipes.report_custom_message({MESSAGE_KEY: validation.to_dict()})


def main() -> None:
    """``spark-submit spark_job.py``: the Pipes session around :func:`run` (its errors go back to the run)."""
    with open_dagster_pipes() as pipes:
        run(pipes)


if __name__ == "__main__":
    main()
