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

import json
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    Config,
    DagsterInstance,
    DefaultSensorStatus,
    Definitions,
    MaterializeResult,
    MetadataValue,
    OpExecutionContext,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    asset,
    job,
    op,
    sensor,
)

from recomart_assets.lake import RawZone, complete_files
from recomart_assets.logs import get_logger
from recomart_assets.partitions import daily_partitions
from recomart_assets.resources import RecomartResource
from recomart_assets.sources import landing
from recomart_assets.sources.transaction_csv import inspect_file

log = get_logger("transactions")

TRANSACTIONS = AssetKey("transactions")
SENSOR_INTERVAL_SECONDS = 15


def partition_summary(zone: RawZone, day: str) -> dict[str, Any]:
    """Files and records a transactions partition holds (complete files only)."""
    files = list(complete_files(zone.partition_dir("transactions", day), "ingested_*.csv"))
    return {
        "files": [path.name for path, _ in files],
        "records": sum(manifest.record_count for _, manifest in files),
        "sources": sorted({manifest.source.get("landing_file", "") for _, manifest in files}),
    }


@asset(
    key=TRANSACTIONS,
    partitions_def=daily_partitions,
    group_name="raw",
    metadata={"recomart/dataset": "transactions"},
    description="Purchases by UTC transaction date: transactions/D/ingested_<sha16>.csv, one file per landing "
    "file that touched day D. New data arrives through the landing sensor; materializing a day (or a "
    "backfill range) re-derives it from the archived originals, byte-identically.",
)
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


class LandingFileConfig(Config):
    """Which landing file a run ingests (``sha256`` as seen by the sensor, for the record)."""

    file_name: str
    sha256: str = ""


@op
def ingest_landing_file(context: OpExecutionContext, config: LandingFileConfig, recomart: RecomartResource) -> None:
    """Ingest one landing file, then report each transactions partition it touched."""
    zone = recomart.zone()
    outcome = landing.ingest_file(zone, config.file_name)
    if outcome.status == "missing" and config.sha256:
        entry = landing.ledger_entry(zone, config.sha256)
        if entry is not None:  # ingested meanwhile by another pass: report what that pass did
            outcome = landing.FileOutcome(config.file_name, "ingested", config.sha256, dict(entry["partitions"]),
                                          entry["rejected_rows"], stored_as=entry["target"])
    if config.sha256 and outcome.sha256 and outcome.sha256 != config.sha256:
        context.log.warning("%s changed since the sensor saw it (sha256 %s, now %s)", config.file_name,
                            config.sha256[:16], outcome.sha256[:16])
    context.log.info(
        "%s: %s, %d records in %d partition(s), %d rejected%s", config.file_name, outcome.status, outcome.records,
        len(outcome.partitions), outcome.rejected_rows, f" ({outcome.reason})" if outcome.reason else "",
    )
    if outcome.status != "ingested":
        return
    for day, records in sorted(outcome.partitions.items()):
        summary = partition_summary(zone, day)
        context.log_event(
            AssetMaterialization(
                asset_key=TRANSACTIONS,
                partition=day,
                metadata={
                    "dagster/row_count": summary["records"],
                    "landing_file": config.file_name,
                    "sha256": outcome.sha256 or "",
                    "records_from_file": records,
                    "archived_as": outcome.stored_as or "",
                    "files": MetadataValue.json(summary["files"]),
                },
            )
        )


@job(description="Ingest one landing-zone transaction file (launched by transactions_landing_sensor).")
def transactions_landing_job() -> None:
    ingest_landing_file()


def plan_runs(
    zone: RawZone, known: dict[str, dict[str, Any]], settle_seconds: float = landing.DEFAULT_SETTLE_SECONDS
) -> tuple[list[tuple[str, str]], dict[str, dict[str, Any]]]:
    """The sensor's decisions: (file name, sha256) pairs to run, and the new cursor state.

    ``known`` maps file names already requested to the size/mtime they had then: those are not
    hashed or requested again while unchanged. Links are refused and contents already in the
    ledger are set aside as duplicates right here (both cheap); a content whose run is pending
    under another name waits for that run.
    """
    scan = landing.scan_landing(zone, settle_seconds)
    for name in scan.links:
        landing.guarded(name, landing.refuse, zone, name, "symbolic link: not followed")
    still_known: dict[str, dict[str, Any]] = {}
    pending = set()
    for entry in scan.ready:
        seen = known.get(entry.name)
        if seen and seen["size"] == entry.size and seen["mtime_ns"] == entry.mtime_ns:
            still_known[entry.name] = seen
            pending.add(seen["sha256"])
    requests = []
    for entry in scan.ready:
        if entry.name in still_known:
            continue
        try:
            sha256 = inspect_file(landing.landing_path(zone, entry.name)).sha256
        except OSError:  # gone meanwhile (another pass took it) or unreadable: next tick decides
            log.warning("cannot read landing file %r yet", entry.name, exc_info=True)
            continue
        if landing.ledger_entry(zone, sha256) is not None:
            landing.guarded(entry.name, landing.ingest_file, zone, entry.name)  # logs and sets the copy aside
            continue
        if sha256 in pending:
            continue
        pending.add(sha256)
        requests.append((entry.name, sha256))
        still_known[entry.name] = {"size": entry.size, "mtime_ns": entry.mtime_ns, "sha256": sha256}
    return requests, still_known


@sensor(
    job=transactions_landing_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description="New complete files in raw_zone/landing/ -> one intake run each, keyed by content sha256.",
)
def transactions_landing_sensor(context: SensorEvaluationContext, recomart: RecomartResource) -> SensorResult:
    known = json.loads(context.cursor) if context.cursor else {}
    requests, known = plan_runs(recomart.zone(), known)
    cursor = json.dumps(known, sort_keys=True)
    if not requests:
        return SensorResult(skip_reason=SkipReason("no new complete landing files"), cursor=cursor)
    return SensorResult(
        run_requests=[
            RunRequest(
                run_key=sha256,
                run_config={"ops": {"ingest_landing_file": {"config": {"file_name": name, "sha256": sha256}}}},
                tags={"recomart/landing_file": landing.safe_name(name), "recomart/sha256": sha256},
            )
            for name, sha256 in requests
        ],
        cursor=cursor,
    )


def ingest_landing_once(
    instance: DagsterInstance,
    recomart: RecomartResource,
    settle_seconds: float = 0.0,
    extra_run_config: dict[str, Any] | None = None,
) -> dict[str, dict[str, int]]:
    """One sensor decision and its runs, in this process (for ``recomart demo`` and scripts).

    The same path as ``recomart dev``'s sensor and runs, so the partitions are recorded as
    materialized in ``instance``. Returns records per day for each file a run ingested.
    ``extra_run_config`` is merged into each run's config (e.g. a quieter console logger).
    """
    requests, _ = plan_runs(recomart.zone(), {}, settle_seconds)
    ingested: dict[str, dict[str, int]] = {}
    for name, sha256 in requests:
        result = transactions_landing_job.execute_in_process(
            run_config={
                **(extra_run_config or {}),
                "ops": {"ingest_landing_file": {"config": {"file_name": name, "sha256": sha256}}},
            },
            instance=instance,
            resources={"recomart": recomart},
            tags={"recomart/landing_file": landing.safe_name(name), "recomart/sha256": sha256},
        )
        events = result.get_asset_materialization_events()
        ingested[name] = {
            e.materialization.partition: e.materialization.metadata["records_from_file"].value for e in events
        }
    return ingested


defs = Definitions(assets=[transactions], jobs=[transactions_landing_job], sensors=[transactions_landing_sensor])
