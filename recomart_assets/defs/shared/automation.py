"""What starts what: Dagster's declarative automation, one condition per role.

Data that *arrives* is handled by sensors beside its assets (a landing file, a closed clickstream
day: nothing but the data knows when). Everything else is a condition on the asset or check
itself, evaluated by the automation-condition sensor below, so no job or schedule repeats work a
sensor or another schedule already did:

* Sources we *pull* (master exports, the metadata API) run once a day on their cron, for today's
  partition (:func:`pull_on_cron`).
* Every quality check runs when its asset's partition was updated by a run that did not already
  run it, e.g. a landing run or a re-seal (:func:`check_after_update`).
* The quality report of a day runs once all five datasets of that day are there, one of them was
  updated, and every upstream blocking (schema) check passed (:func:`report_after_checks_pass`).

Partitions: ``daily_partitions`` has ``end_offset=1``, so Dagster's "latest time window" is
*today*. The check and report conditions widen it to :data:`LOOKBACK` so that yesterday's seal,
and late data for the days before, refresh that day's checks and report. The table of triggers is
in the README ("What triggers what").
"""

from datetime import timedelta

from dagster import (
    AssetSelection,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
)

# Master data: a snapshot of day D as that day ends, so D's transactions and clickstream are
# checked against the catalog and customers they were made with, and the report of D (which
# waits for D's clickstream seal, after midnight) never waits for it.
MASTER_DATA_CRON = "45 23 * * *"
# The third party's values as of the day, pulled early in that day.
EXTERNAL_METADATA_CRON = "0 6 * * *"
# How far back (from the end of today) an update re-runs checks and the report automatically.
# Older corrections are backfills: materialize the range in the UI.
LOOKBACK = timedelta(days=7)

_recent_days = AutomationCondition.in_latest_time_window(lookback_delta=LOOKBACK)


def pull_on_cron(cron: str) -> AutomationCondition:
    """Today's partition once per ``cron`` tick (UTC), for a source we pull rather than receive."""
    return AutomationCondition.on_cron(cron, "UTC")


def check_after_update() -> AutomationCondition:
    """For ``AssetCheckSpec(automation_condition=...)``: run the check on a partition of the last
    :data:`LOOKBACK` whenever its asset's partition updates without it (a run that materialized
    the asset together with its checks does not trigger it again)."""
    return AutomationCondition.eager().replace("in_latest_time_window", _recent_days).with_label(
        f"eager, last {LOOKBACK.days} days"
    )


def report_after_checks_pass() -> AutomationCondition:
    """For the report asset: a day's report once every dataset of that day is present, any of them
    updated, none in progress, and all upstream blocking checks passed (a missing dataset or a
    failed schema check leaves the report to be materialized by hand, which reports it)."""
    return (
        AutomationCondition.eager().replace("in_latest_time_window", _recent_days)
        & AutomationCondition.all_deps_blocking_checks_passed()
    ).with_label(f"eager, last {LOOKBACK.days} days, blocking checks passed")


# Dagster adds a sensor of this name when assets carry conditions, but stopped; declaring it
# ourselves (same name, every asset and check) only changes that: it runs from the start.
automation_sensor = AutomationConditionSensorDefinition(
    "default_automation_condition_sensor",
    target=AssetSelection.all(),
    default_status=DefaultSensorStatus.RUNNING,
    description="Evaluates every asset's and check's automation condition (see the README, "
    "'What triggers what').",
)
