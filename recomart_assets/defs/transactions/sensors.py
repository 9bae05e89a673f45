"""The landing-zone sensor: new complete files in ``landing/`` -> one intake run each."""

import json
from typing import Any

from dagster import (
    DagsterInstance,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.defs.transactions.jobs import transactions_landing_job
from recomart_assets.lake import RawZone
from recomart_assets.logs import get_logger
from recomart_assets.sources import landing
from recomart_assets.sources.transaction_csv import inspect_file

log = get_logger("transactions")

SENSOR_INTERVAL_SECONDS = 15


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


