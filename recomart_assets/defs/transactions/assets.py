"""Transactions in Dagster: the daily asset, which a landing run materializes for every day its file touched.

How a file that touches several days maps onto daily partitions (see docs/transactions.md):

* The **sensor** (:mod:`.sensors`) only decides: it finds complete landing files, hashes them and
  requests one run of ``transactions_landing_job`` per file, with ``run_key`` = the content sha256
  and a run config naming the file. Dagster never launches a run key twice.
* The **landing run** materializes this asset with ``landing_file`` set: the shared intake
  (:func:`recomart_assets.lake.intake.ingest_file`) splits the file into every day it touches in
  one streaming pass, then archives it, and the asset reports a materialization of each of those
  partitions with the file's lineage. One run per file (not one per day) keeps the file the unit of
  "exactly once": the split, the archive move and the ledger entry happen together. The run has no
  partition of its own (its days are known only once the file is read), so the partitioned checks
  are not part of it: each partition it updated gets its checks from their automation condition.
* **Materializing** ``transactions`` for a day or a range (a backfill, or the daily run) re-derives
  those partitions from the archived originals with the same code, so the bytes are identical.
"""

from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    BackfillPolicy,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from recomart_assets.datasets import TRANSACTIONS as TRANSACTIONS_SPEC
from recomart_assets.defs.shared.landing import landing_pool
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.defs.shared.specs import asset_args
from recomart_assets.lake import RawZone, complete_files, intake
from recomart_assets.lake.lineage import LandingFile
from recomart_assets.sources.transactions import LANDING

TRANSACTIONS = AssetKey("transactions")


class TransactionsConfig(Config):
    """Set by the landing sensor: the landing file this run ingests, and its sha256 as the sensor saw
    it. Empty (the default): re-derive the run's partitions from the archive."""

    landing_file: str = ""
    sha256: str = ""


def partition_summary(zone: RawZone, day: str) -> dict[str, Any]:
    """Files and records a transactions partition holds (complete files only)."""
    files = list(complete_files(zone.partition_dir("transactions", day), TRANSACTIONS_SPEC.file_pattern))
    return {
        "files": [path.name for path, _ in files],
        "records": sum(manifest.record_count for _, manifest in files),
        "sources": sorted({manifest.source.landing_file if isinstance(manifest.source, LandingFile) else ""
                           for _, manifest in files}),
    }


def row_counts(records: int) -> dict[str, int]:
    """A partition's row count under both of Dagster's names: ``dagster/row_count`` (what the UI's
    overview and its plots read) and ``dagster/partition_row_count`` (the partition's own count)."""
    return {"dagster/row_count": records, "dagster/partition_row_count": records}


def land_file(context: AssetExecutionContext, config: TransactionsConfig,
              recomart: RecomartResource) -> Iterator[AssetMaterialization]:
    """Ingest the configured landing file; one materialization per partition it touched."""
    zone = recomart.zone()
    outcome = intake.ingest_file(LANDING, zone, config.landing_file, recomart.time_bounds())
    if outcome.status == "missing" and config.sha256:
        entry = intake.ledger_entry(LANDING, zone, config.sha256)
        if entry is not None:  # ingested meanwhile by another pass: report what that pass did
            outcome = intake.FileOutcome(config.landing_file, "ingested", config.sha256, dict(entry.partitions),
                                         entry.rejected_rows, stored_as=entry.target)
    if config.sha256 and outcome.sha256 and outcome.sha256 != config.sha256:
        context.log.warning("%r changed since the sensor saw it (sha256 %s, now %s)", config.landing_file,
                            config.sha256[:16], outcome.sha256[:16])
    context.log.info(
        "%r: %s, %d records in %d partition(s), %d rejected%s", config.landing_file, outcome.status,
        outcome.records, len(outcome.partitions), outcome.rejected_rows,
        f" ({outcome.reason})" if outcome.reason else "",
    )
    if outcome.status != "ingested":
        return
    note = outcome.version_note(LANDING.key_column)
    if note:
        (context.log.warning if outcome.repeated_ids else context.log.info)(note)
    for day, records in sorted(outcome.partitions.items()):
        summary = partition_summary(zone, day)
        yield AssetMaterialization(
            asset_key=TRANSACTIONS,
            partition=day,
            metadata={
                **row_counts(summary["records"]),
                "landing_file": config.landing_file,
                "sha256": outcome.sha256 or "",
                "records_from_file": records,
                "archived_as": outcome.stored_as or "",
                "previous_version": outcome.previous_version or "",
                "repeated_ids": outcome.repeated_ids or 0,
                "replaced_previous_version": day in outcome.replaced_partitions,
                "files": MetadataValue.json(summary["files"]),
            },
        )


# A backfill of any range is one run: the re-derivation reads the archive once for all its days
# (each archived file is split once, not once per day it touched), and one run imports the code once.
# Landing runs and re-derivations both take the intake lock: the pool makes them queue in Dagster.
@asset(**asset_args(TRANSACTIONS_SPEC), output_required=False, backfill_policy=BackfillPolicy.single_run(),
       pool=landing_pool(LANDING))
def transactions(
    context: AssetExecutionContext, config: TransactionsConfig, recomart: RecomartResource
) -> Iterator[AssetMaterialization | MaterializeResult]:
    """Lands one file (``landing_file`` set, from the sensor) or re-derives the partition or range from the kept versions."""
    if config.landing_file:
        yield from land_file(context, config, recomart)
        return
    if not context.has_partition_key and not context.has_partition_key_range:
        raise Failure("a transactions run needs a partition (to re-derive it) or a landing_file to ingest")
    zone = recomart.zone()
    days = frozenset(context.partition_keys)
    rederived = intake.rederive_partitions(LANDING, zone, days, recomart.time_bounds())
    context.log.info("re-derived %d partition(s) from the archive: %s", len(rederived), rederived)
    # One materialization per day, each with its own counts: metadata given for the whole result
    # would be copied onto every day of a range (a range's total shown as each day's row count).
    for day in sorted(days):
        summary = partition_summary(zone, day)
        context.add_asset_metadata({
            **row_counts(summary["records"]),
            "rederived_records": rederived.get(day, 0),
            "files": MetadataValue.json(summary["files"]),
            "sources": MetadataValue.json(summary["sources"]),
        }, partition_key=day)
    yield MaterializeResult(metadata={"range_partitions": len(days)})
