"""Dagster's own freshness checks per source, on the deadlines of the dataset specs.

Each raw asset's day is due by its spec's :class:`~recomart_assets.datasets.Freshness` deadline
(``RECOMART_FRESHNESS_DEADLINES`` overrides it per dataset); the report's ``freshness`` section
judges the same deadlines after the fact. Here Dagster watches them live and shows them in the UI:

* ``build_time_partition_freshness_checks`` for sources whose day arrives during the day (master
  data, transactions, external metadata): the check fails once the deadline has passed without a
  materialization of that day's partition. With ``end_offset=1`` (today is a partition) Dagster
  expects the partition of the day the deadline falls on, which is what these sources deliver.
* ``build_last_update_freshness_checks`` for the clickstream, whose day is materialized (sealed)
  only after the day ends: Dagster's partition-aware check would wait for today's partition,
  which cannot exist yet. The check fails when no seal happened in the 24 hours before the
  deadline (02:00 by default), i.e. yesterday was not sealed in time.

The sensor from ``build_sensor_for_freshness_checks`` runs each check when it could have become
overdue; it is on by default so the UI shows freshness from the start. Freshness checks warn
unless ``RECOMART_CHANGES_BLOCK`` is set (then ERROR), and never block: a late source must not
stop the others.
"""

import warnings
from contextlib import contextmanager
from datetime import time, timedelta

from dagster import (
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    DefaultSensorStatus,
    Definitions,
    SensorDefinition,
    SupersessionWarning,
    build_last_update_freshness_checks,
    build_sensor_for_freshness_checks,
    build_time_partition_freshness_checks,
    definitions,
)

from recomart_assets import datasets
from recomart_assets.config import Settings
from recomart_assets.defs.shared.resources import settings_at_load
from recomart_assets.quality.changes.freshness import parse_deadlines


@contextmanager
def _partition_aware():
    """Dagster marks these builders superseded by ``FreshnessPolicy``, which is not partition-aware:
    for daily partitions they are still the right tool, so their warning is not repeated on every load."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SupersessionWarning)
        yield


def cron_of(deadline: time) -> str:
    """The daily cron expression of a UTC deadline (``02:00`` -> ``0 2 * * *``)."""
    return f"{deadline.minute} {deadline.hour} * * *"


def build_freshness_checks(settings: Settings) -> list[AssetChecksDefinition]:
    """One freshness check per dataset that has a deadline, on its (possibly overridden) time."""
    overrides = parse_deadlines(settings.freshness_deadlines)
    severity = AssetCheckSeverity.ERROR if settings.changes_block else AssetCheckSeverity.WARN
    with _partition_aware():
        return _checks(overrides, severity)


def _checks(overrides: dict[str, time], severity: AssetCheckSeverity) -> list[AssetChecksDefinition]:
    checks: list[AssetChecksDefinition] = []
    for spec in datasets.specs():
        if spec.freshness is None:
            continue
        cron = cron_of(overrides.get(spec.name, spec.freshness.deadline))
        if spec.freshness.after_day:
            checks += build_last_update_freshness_checks(
                assets=[AssetKey(spec.name)], deadline_cron=cron, lower_bound_delta=timedelta(hours=24),
                timezone="UTC", severity=severity,
            )
        else:
            checks += build_time_partition_freshness_checks(
                assets=[AssetKey(spec.name)], deadline_cron=cron, timezone="UTC", severity=severity,
            )
    return checks


def build_freshness_sensor(checks: list[AssetChecksDefinition]) -> SensorDefinition:
    """The sensor that runs each freshness check when it could have become overdue (on by default)."""
    with _partition_aware():
        return build_sensor_for_freshness_checks(freshness_checks=checks, minimum_interval_seconds=300,
                                                 default_status=DefaultSensorStatus.RUNNING)


@definitions
def freshness_definitions() -> Definitions:
    """The freshness checks and their sensor, built when the code location loads (the deadlines
    and the severity are settings)."""
    checks = build_freshness_checks(settings_at_load())
    return Definitions(asset_checks=checks, sensors=[build_freshness_sensor(checks)])
