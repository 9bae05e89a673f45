"""The shapes of ``data_quality_report.json`` (the contract's "Quality results", plus our fields),
as typed dictionaries: what the report's builders return and its readers take.

The JSON is written and read as plain dicts (orjson, the metric states' ``report`` field, earlier
days' files), so these are ``TypedDict``s, not classes: a renamed or missing key is a type error in
the code that builds or reads it, and nothing changes on disk. A leaf module (it imports nothing of
the project), so every layer can name the shapes: the rules build a :class:`CheckEntry`, the
engines' outcome a :class:`DatasetEntry`, :mod:`.results` the :class:`Results`, and the change
detection and the report (:mod:`.report`) read and extend them.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class Annotation(TypedDict):
    """Who acknowledged a finding or a failing check, until when and why (and which acknowledgement)."""

    id: str
    by: str
    until: str
    why: str


class AcknowledgementMark(TypedDict, total=False):
    """What the change detection adds to a finding or a failing check an acknowledgement names:
    ``acknowledged`` while one is active, else ``acknowledgement_expired`` for the latest that ran out."""

    acknowledged: Annotation
    acknowledgement_expired: Annotation


class CheckEntry(TypedDict):
    """One check of a dataset (the contract's check object): a rule's result on the partition."""

    name: str
    severity: str  # error | warn
    status: str  # pass | warn | fail
    failure_count: int
    samples: list[str]
    sample_rows: list[int]
    group: str  # schema | values | integrity
    column: NotRequired[str]
    detail: NotRequired[str]
    acknowledged: NotRequired[Annotation]  # added by the change detection when an acknowledgement covers it
    acknowledgement_expired: NotRequired[Annotation]


class DatasetEntry(TypedDict):
    """One dataset's section of the results (``datasets[<name>]``)."""

    status: str  # pass | warn | fail | missing
    row_count: int
    duplicate_rows: int
    failed_rows: int
    failure_rate: float
    quarantined_records: int
    files: int
    bytes: int
    quarantine_files: int
    columns: dict[str, dict[str, Any]]  # column -> null_count, null_share, distinct_count, min/max, top_values
    checks: list[CheckEntry]
    distributions: dict[str, dict[str, Any]]  # chart title -> counts or histogram
    extra_fields: NotRequired[dict[str, Any]]  # keys not profiled as columns, as counts


class Summary(TypedDict):
    """The day's key numbers over every dataset."""

    datasets_missing: int
    rows: int
    checks: int
    checks_failed: int
    checks_warned: int
    quarantined_records: int


class IntegrityEntry(TypedDict):
    """One cross-table check: an id column against the same day's reference dataset."""

    dataset: str
    column: str | None
    reference: str
    checked: int
    unmatched: int
    unmatched_share: float
    status: str
    samples: list[str]
    detail: NotRequired[str]


class Results(TypedDict):
    """The whole ``data_quality_report.json`` of one partition.

    The change sections (``anomalies``, ``drift``, ``freshness``, ``changes``) and
    ``acknowledgements`` are added by the change detection before the report is written; results
    written before change detection existed have none.
    """

    partition: str
    generated_at: str
    overall_status: str  # pass | warn | fail
    summary: Summary
    datasets: dict[str, DatasetEntry]
    integrity: list[IntegrityEntry]
    anomalies: NotRequired[list[dict[str, Any]]]
    drift: NotRequired[dict[str, list[dict[str, Any]]]]  # schema, distributions
    freshness: NotRequired[list[dict[str, Any]]]
    changes: NotRequired[dict[str, Any]]  # warnings, acknowledged, history per dataset
    acknowledgements: NotRequired[dict[str, Any]]  # acknowledgements that silence everything


class ChangeSections(TypedDict):
    """The change detection's sections of a day's :class:`Results`."""

    anomalies: list[dict[str, Any]]
    drift: dict[str, list[dict[str, Any]]]  # schema, distributions
    freshness: list[dict[str, Any]]
    changes: dict[str, Any]  # warnings, acknowledged, history per dataset


class TrendPoint(TypedDict):
    """An earlier partition's figures for the trends page (from its metric states, or an older
    day's whole results, which hold these keys too)."""

    partition: str
    datasets: dict[str, dict[str, Any]]  # dataset -> row_count, failure_rate
    summary: dict[str, int]  # checks_failed, checks_warned
