"""Transactions in Dagster: the landing-zone sensor, its per-file runs, and the daily asset.

How a file that touches several days maps onto daily partitions (see docs/transactions.md):

* The **sensor** finds complete landing files, hashes them and requests one run per file of
  ``transactions_landing_job``, with ``run_key`` = the content sha256. Dagster never launches a run
  key twice, and the intake ledger turns an identical re-drop under another name into a no-op.
* The **run** calls the shared intake (:func:`landing.ingest_file`): one streaming pass splits the
  file into every day it touches, then archives it. It then reports an ``AssetMaterialization``
  of the ``transactions`` asset for each day the file touched, so the partitions show as
  materialized with the file's lineage. One run per file (not one per day) keeps the file the
  unit of "exactly once": the split, the archive move and the ledger entry happen together.
* **Materializing** ``transactions`` for a day or a range (a backfill, single run) re-derives
  those partitions from the archived originals with the same code, so the bytes are identical.
"""

from typing import Any

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from recomart_assets.datasets import TRANSACTIONS as TRANSACTIONS_SPEC
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.defs.shared.specs import asset_args
from recomart_assets.lake import RawZone, complete_files
from recomart_assets.sources import landing

TRANSACTIONS = AssetKey("transactions")


def partition_summary(zone: RawZone, day: str) -> dict[str, Any]:
    """Files and records a transactions partition holds (complete files only)."""
    files = list(complete_files(zone.partition_dir("transactions", day), "ingested_*.csv"))
    return {
        "files": [path.name for path, _ in files],
        "records": sum(manifest.record_count for _, manifest in files),
        "sources": sorted({manifest.source.get("landing_file", "") for _, manifest in files}),
    }


@asset(**asset_args(TRANSACTIONS_SPEC))
def transactions(context: AssetExecutionContext, recomart: RecomartResource) -> MaterializeResult:
    zone = recomart.zone()
    days = frozenset(context.partition_keys)
    rederived = landing.rederive_partitions(zone, days)
    context.log.info("re-derived %d partition(s) from the archive: %s", len(rederived), rederived)
    summaries = {day: partition_summary(zone, day) for day in sorted(days)}
    return MaterializeResult(
        metadata={
            "dagster/row_count": sum(s["records"] for s in summaries.values()),
            "rederived_records": MetadataValue.json(rederived),
            "partitions": MetadataValue.json(summaries),
        }
    )

