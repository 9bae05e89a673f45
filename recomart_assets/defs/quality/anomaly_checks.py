"""Dagster asset checks for what changed: anomalies and drift of every raw dataset, per partition.

Each raw asset gets two checks, computed in one pass from the metric states of the day and its
trailing window (:func:`recomart_assets.quality.changes.what_changed.changes_of`):

* ``anomalies``: a metric of the day outside its expected range (volume per device, null share
  per column, failure counts, ...), as the report's ``anomalies`` section lists them;
* ``drift``: fields added, removed or retyped against the previous partition, and charts whose
  PSI against the window is 0.1 or more.

Both WARN by default and never block; with ``RECOMART_CHANGES_BLOCK`` set they are blocking
checks of severity ERROR, so a day that changed stops its downstream assets (the report then
waits to be materialized by hand, which shows why). Acknowledged findings do not fail a check;
they are listed in its metadata. The day's own state comes from the same validation as the
quality checks (its fresh state, or a validation now).
"""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    Definitions,
    MetadataValue,
    definitions,
    multi_asset_check,
)

from recomart_assets import datasets
from recomart_assets.config import Settings
from recomart_assets.defs.shared.automation import check_after_update
from recomart_assets.defs.shared.check_ranges import per_partition
from recomart_assets.defs.shared.partitions import daily_partitions
from recomart_assets.defs.shared.resources import RecomartResource, settings_at_load
from recomart_assets.quality.changes.what_changed import ChangesConfig, DatasetChanges, changes_of
from recomart_assets.quality.validation import current

ANOMALIES_CHECK = "anomalies"
DRIFT_CHECK = "drift"


def _table(rows: list[dict], columns: list[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(str(row.get(c, "")).replace("|", "/") for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def _state(entry: dict) -> str:
    ack = entry.get("acknowledged")
    return f"acknowledged by {ack['by']} until {ack['until']}" if ack else "warn"


def anomalies_result(dataset: str, found: DatasetChanges, severity: AssetCheckSeverity) -> AssetCheckResult:
    """The anomalies check of one dataset: warns on each unacknowledged metric outside its expected range."""
    rows = [{"metric": a["metric"], "value": a["value"], "expected": f"{a['expected_range'][0]} .. "
             f"{a['expected_range'][1]}", "days": len(a["days_compared"]), "status": _state(a)} for a in found.anomalies]
    warning = [a for a in found.anomalies if "acknowledged" not in a]
    history = found.history
    description = (f"{len(warning)} anomalies" if history["judged"] else
                   f"not judged: {history.get('reason', 'too little history')}")
    return AssetCheckResult(
        asset_key=AssetKey(dataset), check_name=ANOMALIES_CHECK, passed=not warning, severity=severity,
        description=description,
        metadata={"judged": history["judged"], "days_of_history": history["days_of_history"],
                  "anomalies": len(found.anomalies), "warning": len(warning),
                  "details": MetadataValue.md(_table(rows, ["metric", "value", "expected", "days", "status"]))},
    )


def drift_result(dataset: str, found: DatasetChanges, severity: AssetCheckSeverity) -> AssetCheckResult:
    """The drift check of one dataset: warns on unacknowledged schema changes and drifted distributions (PSI)."""
    rows = [{"change": "schema", "what": ", ".join(f"{k} {', '.join(c[k])}" for k in ("added", "removed", "retyped")
                                                   if c[k]), "status": _state(c)} for c in found.schema]
    rows += [{"change": d["metric"], "what": f"PSI {d['psi']} ({d['level']})", "status": _state(d)}
             for d in found.drifted]
    warning = [r for r in rows if r["status"] == "warn"]
    return AssetCheckResult(
        asset_key=AssetKey(dataset), check_name=DRIFT_CHECK, passed=not warning, severity=severity,
        description=f"{len(warning)} changes",
        metadata={"psi": MetadataValue.json({d["distribution"]: d["psi"] for d in found.distributions}),
                  "details": MetadataValue.md(_table(rows, ["change", "what", "status"]))},
    )


def change_checks(dataset: str, block: bool) -> AssetChecksDefinition:
    """Anomalies and drift checks of one dataset; ``block`` makes a finding stop downstream assets (severity ERROR)."""
    key = AssetKey(dataset)
    severity = AssetCheckSeverity.ERROR if block else AssetCheckSeverity.WARN

    specs = [
        AssetCheckSpec(ANOMALIES_CHECK, asset=key, blocking=block, partitions_def=daily_partitions,
                       automation_condition=check_after_update(),
                       description="Metrics of the day within their expected range against the trailing window."),
        AssetCheckSpec(DRIFT_CHECK, asset=key, blocking=block, partitions_def=daily_partitions,
                       automation_condition=check_after_update(),
                       description="Same fields as the previous partition; chart distributions stable (PSI)."),
    ]

    @multi_asset_check(name=f"{dataset}_change_checks", specs=specs,
                       description=f"Anomalies and drift of one {dataset} partition against earlier ones.")
    def _checks(context: AssetCheckExecutionContext, recomart: RecomartResource):
        def evaluate(day: str) -> list[AssetCheckResult]:
            zone = recomart.zone()
            current(zone, dataset, day)  # the day's metric state: fresh already, or validated now
            found = changes_of(zone, dataset, day, ChangesConfig.from_settings(recomart.settings()))
            context.log.info("%s %s: %d anomalies, %d schema changes, %d drifted charts (%d warn)", dataset, day,
                             len(found.anomalies), len(found.schema), len(found.drifted), found.warnings)
            return [anomalies_result(dataset, found, severity), drift_result(dataset, found, severity)]

        yield from per_partition(context, specs, evaluate)

    return _checks


def build_change_checks(settings: Settings) -> list[AssetChecksDefinition]:
    """The change checks of every dataset, blocking when ``settings.changes_block``."""
    return [change_checks(dataset, settings.changes_block) for dataset in datasets.names()]


@definitions
def change_check_definitions() -> Definitions:
    """The change checks, built when the code location loads (whether they block is a setting)."""
    return Definitions(asset_checks=build_change_checks(settings_at_load()))
