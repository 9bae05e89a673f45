"""Dagster's own floor for ``bench_report.py``: an asset named like the report, daily partitioned,
run by the in-process executor as ours is, that does nothing.

``dagster asset materialize`` of it costs what every materialization through the CLI pays before
any work of ours: the CLI's imports, the instance, the run and its events.
"""

import dagster as dg

DAYS = dg.DailyPartitionsDefinition(start_date="2026-01-01")


@dg.asset(partitions_def=DAYS, name="data_quality_report")
def nothing() -> None:
    """Materializes nothing."""


defs = dg.Definitions(assets=[nothing], executor=dg.in_process_executor)
