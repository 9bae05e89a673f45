"""Simulated incidents: the failures that no single-day rule catches, injected on one day.

Each incident is what a real platform sees after a bad release or a silent upstream change, and
what the report's anomaly and drift detection must notice (and nothing else):

=============================  ====================================================================
``missing_device_share``       ``share`` of the sessions of ``device`` never arrive (an app release
                               that drops events): clickstream volume of that device falls
``null_product_id_on_device``  a tracking bug nulls ``product_id`` on every event of ``device``
``prices_in_cents``            one ``category``'s prices arrive in cents (x100): transactions of
                               the day and the catalog export
``new_event_field``            events of ``device`` carry a field the contract does not list
                               (``app_version``): schema drift, the field kept as received
``source_stops``               a source sends nothing for the day (transactions or clickstream
                               from the simulators; the demo can also skip the metadata pull)
=============================  ====================================================================

The functions here transform what the simulators generate (event dicts, transaction frames, the
catalog), so an incident day is a normal day plus exactly one change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd

from recomart_assets.simulate.shop import CATEGORIES, DEVICES

KINDS = ("missing_device_share", "null_product_id_on_device", "prices_in_cents", "new_event_field", "source_stops")
SOURCES = ("transactions", "clickstream", "external_metadata")


@dataclass(frozen=True)
class Incident:
    """One incident on UTC day ``day`` (parameters default to the cases described above)."""

    kind: str
    day: date
    device: str = "android"
    share: float = 0.5
    category: str = "books"  # the most bought category of the seeded shop
    field: str = "app_version"
    field_value: str = "7.4.0"
    source: str = "transactions"  # the source that stops (source_stops)

    def __post_init__(self) -> None:
        """Refuse an unknown kind, source, category or device at once (ValueError listing the known ones) rather than
        simulate days that show nothing."""
        if self.kind not in KINDS:
            raise ValueError(f"unknown incident {self.kind!r}: known are {', '.join(KINDS)}")
        for name, value, known in (("source", self.source, SOURCES), ("category", self.category, tuple(CATEGORIES)),
                                   ("device", self.device, DEVICES)):
            if value not in known:
                raise ValueError(f"unknown {name} {value!r}: known are {', '.join(known)}")

    @property
    def datasets(self) -> tuple[str, ...]:
        """The datasets the incident changes (what the report should flag)."""
        if self.kind == "prices_in_cents":
            return ("transactions", "product_catalog")
        if self.kind == "source_stops":
            return (self.source,)
        return ("clickstream",)

    def describe(self) -> str:
        """One line for people: what goes wrong and on which day (``50% of the android sessions missing on
        2026-01-08``), printed by the incident demo."""
        return {
            "missing_device_share": f"{self.share:.0%} of the {self.device} sessions missing",
            "null_product_id_on_device": f"product_id null on every {self.device} event",
            "prices_in_cents": f"{self.category} prices in cents",
            "new_event_field": f"new field {self.field!r} on {self.device} events",
            "source_stops": f"{self.source} sends nothing",
        }[self.kind] + f" on {self.day}"


def _event_day(event: dict) -> date | None:
    try:
        return datetime.fromisoformat(event["timestamp"]).astimezone(UTC).date()
    except (KeyError, TypeError, ValueError):
        return None


def _dropped(session: str, share: float) -> bool:
    """Whether a session is among the ``share`` lost (by its id: a lost session loses all its events)."""
    digest = hashlib.blake2b(session.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < share


def apply_to_events(incident: Incident | None, events: Iterable[dict]) -> Iterator[dict]:
    """The clickstream events with the incident applied to those of its day."""
    for event in events:
        if incident is None or _event_day(event) != incident.day:
            yield event
            continue
        on_device = event.get("device") == incident.device
        if incident.kind == "missing_device_share" and on_device and _dropped(str(event.get("session_id")),
                                                                             incident.share):
            continue
        if incident.kind == "source_stops" and incident.source == "clickstream":
            continue
        if incident.kind == "null_product_id_on_device" and on_device:
            event = {**event, "product_id": None}
        elif incident.kind == "new_event_field" and on_device:
            event = {**event, incident.field: incident.field_value}
        yield event


def _utc_days(stamps: pd.Series) -> pd.Series:
    return pd.to_datetime(stamps, utc=True, format="ISO8601", errors="coerce").dt.date


def apply_to_transactions(incident: Incident | None, frame: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    """Clean generated transactions (text columns) with the incident applied to the rows of its day."""
    if incident is None or incident.kind not in ("prices_in_cents", "source_stops"):
        return frame
    on_day = _utc_days(frame["timestamp"]) == incident.day
    if incident.kind == "source_stops":
        return frame[~on_day].reset_index(drop=True) if incident.source == "transactions" else frame
    in_category = frame["product_id"].isin(catalog.loc[catalog["category"] == incident.category, "product_id"])
    frame = frame.copy()
    rows = on_day & in_category
    frame.loc[rows, "price"] = [f"{100 * float(p):.0f}" for p in frame.loc[rows, "price"]]
    return frame


def apply_to_catalog(incident: Incident | None, catalog: pd.DataFrame) -> pd.DataFrame:
    """The master catalog export with the incident applied (prices of one category in cents)."""
    if incident is None or incident.kind != "prices_in_cents":
        return catalog
    catalog = catalog.copy()
    rows = catalog["category"] == incident.category
    catalog.loc[rows, "price"] = (catalog.loc[rows, "price"] * 100).round()
    return catalog
