"""Acknowledged quality findings: known, accepted anomalies or failures that stop warning.

A team that knows why a metric moved ("the Android release of the 3rd drops 40% of the events,
fix ships on the 20th") says so once, with who, why and until when, instead of reading the same
warning every day until it is ignored. An acknowledgement covers one dataset and one finding,
named as the report names it:

* an anomaly by its metric (``volume:device=android``, ``null_share:product_id``),
* a distribution drift by ``psi:<chart>`` (``psi:price``), schema drift by ``schema``,
* freshness by ``freshness``, a check by ``check:<check name>`` (``check:rating: in_range(1, 5)``).

The name may be a shell-style pattern (``null_share:*``); it must name a known family of findings
(:data:`FINDING_FAMILIES`). A pattern that silences everything (findings of several families, like
``*``, or every check, like ``check:*``) is *sweeping*: it needs the explicit ``all_metrics`` flag
(``--all-metrics``), and every report it covers says so on its cover. It covers the partitions from ``since``
(default: every earlier one) to ``until`` inclusive, judged by the report's partition and not by
the clock, so a re-rendered report says the same. A covered finding stays in the report, marked
acknowledged (who, why, until) and no longer warning; once ``until`` has passed it warns again,
and the report says which acknowledgement expired.

Arguments are one printable line of bounded length, so no acknowledgement can forge lines in a
listing; one stored by an older version is still read, and :func:`one_line` escapes it for display.

Each acknowledgement is one small JSON file under ``quality/acknowledgements/`` in the raw zone,
written with its manifest (``recomart verify`` checks it like any file) by ``recomart
acknowledge``. One file each, never rewritten: two people acknowledging at once cannot lose
either acknowledgement.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from fnmatch import fnmatchcase
from typing import Any

import orjson

from recomart_assets import datasets
from recomart_assets.errors import AcknowledgementError
from recomart_assets.lake import RawZone, complete_files, read_verified_bytes, utc_now_iso, write_data_file
from recomart_assets.lake.lineage import Manual
from recomart_assets.lake.locks import exclusive_writer
from recomart_assets.quality.changes.history import FAMILIES
from recomart_assets.quality.contract import AcknowledgementMark, Annotation

DATASET = "quality_acknowledgement"
FIELDS = ("dataset", "metric", "by", "why", "until")
# Every kind of finding a report names: the metric families of the history, distribution drift
# (``psi:<chart>``), schema drift, freshness and checks (``check:<check name>``).
FINDING_FAMILIES = (*FAMILIES, "psi", "schema", "freshness", "check")
# (argument as the command names it, field, longest accepted)
LIMITS = (("METRIC", "metric", 300), ("--by", "by", 100), ("--why", "why", 500))
# Check names of unlike shapes: a pattern matching all of them matches every check.
_ANY_CHECK = ("rating: in_range(1, 5)", "x", "0", "email: matches ^[^@]+@[^@]+$", "Ω")


def one_line(text: str) -> str:
    """``text`` with every control or other unprintable character escaped (``\\n``, ``\\x1b``): one line."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def families_named(pattern: str) -> list[str]:
    """The finding families whose names ``pattern`` (a name or shell pattern) can match."""
    family = pattern.partition(":")[0]
    return [name for name in FINDING_FAMILIES if fnmatchcase(name, family) or fnmatchcase(name, pattern)]


def is_sweeping(pattern: str) -> bool:
    """Whether ``pattern`` silences everything: findings of several families, or every check."""
    named = families_named(pattern)
    return len(named) > 1 or (named == ["check"] and all(fnmatchcase(f"check:{c}", pattern) for c in _ANY_CHECK))


def _check_line(value: str, what: str, limit: int) -> None:
    if "\n" in value or "\r" in value:
        raise AcknowledgementError(f"{what} must be one line, got {one_line(value)[:100]!r}")
    if not value.isprintable():
        raise AcknowledgementError(f"{what} must be printable (no control characters), got {one_line(value)[:100]!r}")
    if len(value) > limit:
        raise AcknowledgementError(f"{what} is {len(value)} characters long; at most {limit} are accepted")


def _day(value: str, what: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise AcknowledgementError(f"{what} must be a date (YYYY-MM-DD), got {value!r}") from None


@dataclass(frozen=True)
class Acknowledgement:
    """One accepted finding: ``metric`` (a name or pattern) of ``dataset`` from ``since`` to ``until``."""

    dataset: str
    metric: str
    by: str
    why: str
    until: str
    since: str | None = None
    created_at: str = ""
    all_metrics: bool = False  # the explicit consent a sweeping pattern needs

    @property
    def sweeping(self) -> bool:
        """Silences everything (several families, or every check): shown on the report's cover."""
        return is_sweeping(self.metric)

    @property
    def id(self) -> str:
        """A short content hash: the file name, and what the report shows to tell two apart."""
        text = "\n".join([self.dataset, self.metric, self.by, self.why, self.until, self.since or "", self.created_at])
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def names(self, dataset: str, metric: str) -> bool:
        """True when this acknowledgement is about ``metric`` of ``dataset``: the same name, or a shell pattern
        matching it (the dates are :meth:`active_on`'s business)."""
        return dataset == self.dataset and (metric == self.metric or fnmatchcase(metric, self.metric))

    def active_on(self, partition: str) -> bool:
        """True when it covers ``partition`` (``YYYY-MM-DD``): from ``since`` (None: every earlier day) to ``until``
        inclusive, by the report's day and never by the clock."""
        return (self.since is None or self.since <= partition) and partition <= self.until

    def to_dict(self) -> dict[str, Any]:
        """The stored JSON object: fields left at None or False are omitted, so a plain acknowledgement's file holds
        no ``since`` or ``all_metrics``."""
        return {k: v for k, v in asdict(self).items() if v is not None and v is not False}

    def summary(self) -> Annotation:
        """What the report shows next to an acknowledged finding."""
        return {"id": self.id, "by": self.by, "why": self.why, "until": self.until}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Acknowledgement:
        """An acknowledgement from its stored object; AcknowledgementError when a required field is not a non-blank
        string or a date is not ``YYYY-MM-DD`` (line checks are the writer's, so old files still read)."""
        missing = [name for name in FIELDS if not isinstance(data.get(name), str) or not data[name].strip()]
        if missing:
            raise AcknowledgementError(f"acknowledgement lacks {', '.join(missing)}")
        since = data.get("since")
        return cls(
            dataset=data["dataset"], metric=data["metric"], by=data["by"], why=data["why"],
            until=_day(data["until"], "until"), since=_day(since, "since") if since else None,
            created_at=str(data.get("created_at", "")), all_metrics=data.get("all_metrics") is True,
        )


def new_acknowledgement(dataset: str, metric: str, by: str, why: str, until: str,
                        since: str | None = None, all_metrics: bool = False) -> Acknowledgement:
    """A checked acknowledgement: a known dataset, one printable bounded line each for the metric, who
    and why, a metric naming a known family of findings, dates in order, and ``all_metrics`` given
    exactly when the pattern silences everything."""
    if dataset not in datasets.names():
        raise AcknowledgementError(f"unknown dataset {one_line(dataset)[:100]!r}: known are "
                                   f"{', '.join(datasets.names())}")
    for what, name, limit in LIMITS:
        value = {"metric": metric, "by": by, "why": why}[name]
        if isinstance(value, str):
            _check_line(value, what, limit)
    ack = Acknowledgement.from_dict({"dataset": dataset, "metric": metric, "by": by, "why": why, "until": until,
                                     "since": since, "created_at": utc_now_iso(), "all_metrics": all_metrics})
    if ack.since and ack.since > ack.until:
        raise AcknowledgementError(f"since ({ack.since}) is after until ({ack.until})")
    if not families_named(ack.metric):
        raise AcknowledgementError(f"METRIC {ack.metric!r} matches no known metric family: a name or pattern "
                                   f"starting with one of {', '.join(FINDING_FAMILIES)}")
    if ack.sweeping and not all_metrics:
        raise AcknowledgementError(f"METRIC {ack.metric!r} would silence every metric and check of {dataset}: "
                                   "pass --all-metrics to mean it (every report it covers then says so on its cover)")
    return ack


def write_acknowledgement(zone: RawZone, ack: Acknowledgement, command: str = "recomart acknowledge"):
    """Write ``ack`` as its own file (and manifest) under the raw zone; returns the file's path."""
    path = zone.acknowledgements_dir / f"{ack.dataset}-{ack.id}.json"
    with exclusive_writer(zone, DATASET, [zone.acknowledgements_dir]):
        write_data_file(path, orjson.dumps(ack.to_dict(), option=orjson.OPT_INDENT_2) + b"\n", dataset=DATASET,
                        partition=None, record_count=1, fmt="json", source=Manual(by=ack.by, command=command))
    return path


def read_acknowledgements(zone: RawZone) -> list[Acknowledgement]:
    """Every acknowledgement of the raw zone (complete, verified files), oldest first."""
    found = []
    for path, manifest in complete_files(zone.acknowledgements_dir, "*.json"):
        try:
            data = orjson.loads(read_verified_bytes(path, manifest))
        except orjson.JSONDecodeError as exc:
            raise AcknowledgementError(f"{path}: not JSON ({exc})") from None
        if not isinstance(data, dict):
            raise AcknowledgementError(f"{path}: not a JSON object")
        found.append(Acknowledgement.from_dict(data))
    return sorted(found, key=lambda a: a.created_at)


@dataclass(frozen=True)
class Match:
    """The acknowledgement covering a finding on a partition, or the latest one that expired."""

    active: Acknowledgement | None = None
    expired: Acknowledgement | None = None

    @property
    def warns(self) -> bool:
        """True when no acknowledgement is active, so the finding still warns (an expired one does not silence it)."""
        return self.active is None

    def annotation(self) -> AcknowledgementMark:
        """Keys added to the finding in the report: ``acknowledged`` or ``acknowledgement_expired``."""
        if self.active is not None:
            return {"acknowledged": self.active.summary()}
        if self.expired is not None:
            return {"acknowledgement_expired": self.expired.summary()}
        return {}


def sweeping_notice(acks: Iterable[Acknowledgement], partition: str) -> dict[str, Any]:
    """The report's top-level ``acknowledgements``: the sweeping ones active on ``partition``, and a warning."""
    active = [a for a in acks if a.sweeping and a.active_on(partition)]
    shown = [{"dataset": a.dataset, "metric": a.metric, **a.summary()} for a in active]
    warning = None
    if active:
        covered = ", ".join(sorted({a.dataset for a in active}))
        warning = (f"acknowledged with --all-metrics ({len(active)}): this report silences every metric and check "
                   f"of {covered}, whose failures and anomalies do not warn")
    return {"all_metrics": shown, "warning": warning}


def match(acks: Iterable[Acknowledgement], dataset: str, metric: str, partition: str) -> Match:
    """Which acknowledgement (if any) covers ``metric`` of ``dataset`` on ``partition``."""
    naming = [a for a in acks if a.names(dataset, metric)]
    active = [a for a in naming if a.active_on(partition)]
    if active:
        return Match(active=max(active, key=lambda a: a.until))
    expired = [a for a in naming if a.until < partition]
    return Match(expired=max(expired, key=lambda a: a.until) if expired else None)


def annotate(finding: dict[str, Any], acks: Iterable[Acknowledgement], partition: str,
             metric: str | None = None) -> bool:
    """Mark ``finding`` (a report dict with ``dataset`` and ``metric``) as acknowledged or expired.

    Returns True when the finding still warns (no acknowledgement covers it on ``partition``).
    """
    found = match(acks, finding["dataset"], metric or finding["metric"], partition)
    finding.update(found.annotation())
    return found.warns
