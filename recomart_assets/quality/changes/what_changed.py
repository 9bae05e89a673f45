"""What changed on a day: the report's ``anomalies``, ``drift`` and ``freshness`` sections.

One place joins the detectors for a partition: the metric states of the day and of the trailing
window (never their raw files) go through :mod:`.anomalies` and :mod:`.drift`, the day's manifests
through :mod:`.freshness`, and every finding is matched against the acknowledgements of the raw
zone (:mod:`.acknowledgements`). Acknowledged findings stay in the sections, marked, and no
longer warn; so do acknowledged check failures (``check:<name>``) in the datasets' check lists.
The report's ``overall_status`` is at least ``warn`` while any finding warns.

Shapes (documented in the README, "Data quality"):

* ``anomalies``: a list (empty when nothing is unusual) of :meth:`Anomaly.to_dict` objects plus
  ``series`` (the metric on the days compared, and today) so the PDF can draw them from the JSON;
* ``drift``: ``{"schema": [...], "distributions": [...]}``, schema changes against the previous
  partition and the PSI of every chart judged (stable ones included: the PDF shows the table);
* ``freshness``: a list, one object per source;
* ``changes``: a summary (``warnings``, ``acknowledged``) and per dataset how much history the
  anomaly detection had (``judged``, ``days_of_history``, ``reason``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from recomart_assets import datasets
from recomart_assets.config import Settings
from recomart_assets.lake import RawZone
from recomart_assets.quality.changes.acknowledgements import Acknowledgement, annotate, match, read_acknowledgements
from recomart_assets.quality.changes.anomalies import AnomalyConfig, detect
from recomart_assets.quality.changes.drift import DriftConfig, distribution_drifts, schema_drift
from recomart_assets.quality.changes.freshness import freshness, parse_deadlines
from recomart_assets.quality.changes.history import metric_history
from recomart_assets.quality.contract import ChangeSections, Results
from recomart_assets.quality.rules.checks import worst
from recomart_assets.quality.states import read_states

SECTIONS = ("anomalies", "drift", "freshness", "changes")


@dataclass(frozen=True)
class ChangesConfig:
    """How the day's changes are judged (defaults: see each detector)."""

    anomalies: AnomalyConfig = field(default_factory=AnomalyConfig)
    drift: DriftConfig = field(default_factory=DriftConfig)
    deadlines: Mapping[str, time] = field(default_factory=dict)  # freshness overrides
    flag_late: bool = False  # late arrivals warn too (off: backfills are always "late")

    @property
    def window_days(self) -> int:
        """Days of states to read before the report's day: the longer of the anomaly and drift windows, so one read
        serves both detectors."""
        return max(self.anomalies.window_days, self.drift.window_days)

    @classmethod
    def from_settings(cls, settings: Settings) -> ChangesConfig:
        """Defaults, with the freshness deadlines of ``RECOMART_FRESHNESS_DEADLINES``."""
        return cls(deadlines=parse_deadlines(settings.freshness_deadlines))


def earlier_days(day: str, window_days: int) -> list[str]:
    """``day`` and the ``window_days`` days before it, as ``YYYY-MM-DD``, oldest first: the states a day's detectors
    read."""
    start = date.fromisoformat(day)
    return [(start - timedelta(days=n)).isoformat() for n in range(window_days, -1, -1)]


def _acknowledge(entries: Iterable[dict], acks: list[Acknowledgement], day: str) -> tuple[int, int]:
    """Annotate findings that warn; returns how many still warn and how many are acknowledged."""
    warnings = acknowledged = 0
    for entry in entries:
        still = annotate(entry, acks, day)
        warnings += still
        acknowledged += not still
    return warnings, acknowledged


@dataclass
class DatasetChanges:
    """One dataset's findings on a day, acknowledgements applied."""

    anomalies: list[dict]
    schema: list[dict]
    distributions: list[dict]  # every chart judged, stable ones too
    history: dict  # whether anomalies were judged, on how many days
    warnings: int = 0
    acknowledged: int = 0

    @property
    def drifted(self) -> list[dict]:
        """The distribution entries whose level is not ``stable``: the ones that warn or need an acknowledgement."""
        return [d for d in self.distributions if d["level"] != "stable"]


def dataset_changes(dataset: str, day: str, states: Mapping[str, Any], config: ChangesConfig,
                    acks: list[Acknowledgement]) -> DatasetChanges:
    """Anomalies, schema drift and distribution drift of one dataset from its states."""
    detection = detect(dataset, day, states, config.anomalies)
    anomalies = []
    if detection.anomalies:  # the history is read only to draw an anomaly's series
        history = metric_history(dataset, states)
        for anomaly in detection.anomalies:
            entry = anomaly.to_dict()
            series = history.series(anomaly.metric)
            entry["series"] = [[d, round(series[d], 6)] for d in (*anomaly.days_compared, day) if d in series]
            anomalies.append(entry)
    schema = schema_drift(dataset, day, states)
    found = DatasetChanges(
        anomalies=anomalies,
        schema=[schema.to_dict() | {"metric": "schema"}] if schema is not None and schema.changed else [],
        distributions=[d.to_dict() for d in distribution_drifts(dataset, day, states, config.drift)],
        history=detection.to_dict(),
    )
    found.warnings, found.acknowledged = _acknowledge([*found.anomalies, *found.schema, *found.drifted], acks, day)
    return found


def changes_of(zone: RawZone, dataset: str, day: date | str, config: ChangesConfig | None = None,
               acks: list[Acknowledgement] | None = None) -> DatasetChanges:
    """One dataset's findings on ``day``, reading its states of the window (the asset checks' entry)."""
    config = config or ChangesConfig()
    day = str(day)
    acks = read_acknowledgements(zone) if acks is None else acks
    return dataset_changes(dataset, day, read_states(zone, dataset, earlier_days(day, config.window_days)), config,
                           acks)


def what_changed(zone: RawZone, day: date | str, config: ChangesConfig | None = None,
                 now: datetime | None = None, acks: list[Acknowledgement] | None = None) -> ChangeSections:
    """The ``anomalies``, ``drift``, ``freshness`` and ``changes`` sections of ``day``'s report."""
    config = config or ChangesConfig()
    day = str(day)
    acks = read_acknowledgements(zone) if acks is None else acks
    sections: ChangeSections = {"anomalies": [], "drift": {"schema": [], "distributions": []}, "freshness": [],
                                "changes": {}}
    history, warnings, acknowledged = {}, 0, 0
    for dataset in datasets.names():
        found = changes_of(zone, dataset, day, config, acks)
        sections["anomalies"] += found.anomalies
        sections["drift"]["schema"] += found.schema
        sections["drift"]["distributions"] += found.distributions
        history[dataset] = found.history
        warnings, acknowledged = warnings + found.warnings, acknowledged + found.acknowledged
    for item in freshness(zone, day, now, config.deadlines):
        entry = item.to_dict()
        if item.warns(config.flag_late):
            still, acked = _acknowledge([entry], acks, day)
            warnings, acknowledged = warnings + still, acknowledged + acked
        sections["freshness"].append(entry)
    sections["changes"] = {"warnings": warnings, "acknowledged": acknowledged, "history": history}
    return sections


def acknowledge_checks(results: Results, acks: list[Acknowledgement]) -> int:
    """Mark the failing checks that an acknowledgement covers (``check:<name>``); returns how many.

    A dataset whose failures are all acknowledged takes the status of its other checks; a missing
    dataset stays missing (acknowledge its freshness instead).
    """
    day, count = results["partition"], 0
    for name, entry in results["datasets"].items():
        for check in entry["checks"]:
            if check["status"] != "pass":
                found = match(acks, name, f"check:{check['name']}", day)
                check.update(found.annotation())
                count += not found.warns
        if entry["status"] != "missing":
            entry["status"] = worst(c["status"] for c in entry["checks"] if "acknowledged" not in c)
    return count


def with_changes(zone: RawZone, results: Results, config: ChangesConfig | None = None,
                 now: datetime | None = None) -> Results:
    """``results`` (a day's report JSON) with the change sections and acknowledged checks applied."""
    acks = read_acknowledgements(zone)
    sections = what_changed(zone, results["partition"], config, now, acks)
    covered = acknowledge_checks(results, acks)
    sections["changes"]["acknowledged"] += covered
    results.update(sections)
    statuses = ["warn" if entry["status"] == "missing" else entry["status"] for entry in results["datasets"].values()]
    results["overall_status"] = worst([*statuses, "warn" if sections["changes"]["warnings"] else "pass"])
    return results
