"""A small raw zone with known defects, written through the lake functions like real ingestion.

Day ``DAY``: a catalog of 5 products (one duplicate row, one non-positive price), 4 customers (one
bad e-mail), 10 transactions in two files (one duplicate row, two ratings of 7, one unknown
product, one timestamp from the next day, one price that is not a number), 6 clickstream events
in two JSON Lines files (one duplicate event id, one unknown device) plus a summary file that must
not be read, 2 quarantined transaction records, and no external metadata (missing).
"""

from __future__ import annotations

import orjson
import pandas as pd
import pytest

from recomart_assets.lake import RawZone, write_data_file

DAY = "2026-01-05"


def write_csv(zone: RawZone, dataset: str, name: str, rows: list[dict], day: str = DAY) -> None:
    frame = pd.DataFrame(rows)
    path = zone.partition_dir(dataset, day) / name
    write_data_file(path, frame.to_csv(index=False).encode(), dataset=dataset, partition=day,
                    record_count=len(frame), fmt="csv", source={"type": "test"}, columns=list(frame.columns))


def write_jsonl(zone: RawZone, name: str, events: list[dict], day: str = DAY) -> None:
    data = b"".join(orjson.dumps(e) + b"\n" for e in events)
    write_data_file(zone.partition_dir("clickstream", day) / name, data, dataset="clickstream", partition=day,
                    record_count=len(events), fmt="jsonl", source={"type": "test"})


def catalog_rows() -> list[dict]:
    rows = [{"product_id": f"P{i:06d}", "name": f"Item {i}", "category": "books" if i % 2 else "toys",
             "brand": "Northpage", "price": 10.0 + i} for i in range(1, 5)]
    rows.append({"product_id": "P000005", "name": "Item 5", "category": "toys", "brand": "Kodo", "price": 0})
    return rows + [rows[0]]


def customer_rows() -> list[dict]:
    rows = [{"customer_id": f"C{i:06d}", "name": f"Customer {i}", "email": f"c{i}@example.com",
             "signup_date": "2025-06-01", "city": "Pune", "segment": "regular"} for i in range(1, 5)]
    rows[3]["email"] = "not-an-email"
    return rows


def transaction_rows() -> list[dict]:
    rows = [{"transaction_id": f"T{i:04d}", "customer_id": f"C{(i % 4) + 1:06d}", "product_id": f"P{(i % 5) + 1:06d}",
             "quantity": 1 + i % 3, "price": 9.5 + i, "rating": 1 + i % 5, "timestamp": f"{DAY}T{10 + i:02d}:00:00Z"}
            for i in range(9)]
    rows[1]["rating"] = 7
    rows[2]["rating"] = 7
    rows[3]["product_id"] = "P000099"
    rows[4]["timestamp"] = "2026-01-06T00:30:00Z"
    rows[5]["price"] = "abc"
    return rows + [rows[0]]


def click_events() -> list[dict]:
    events = [{"event_id": f"e{i}", "user_id": f"C{(i % 4) + 1:06d}", "session_id": "s1",
               "event_type": ["view", "click", "add_to_cart"][i % 3], "product_id": f"P{(i % 5) + 1:06d}",
               "search_term": None, "device": "web", "timestamp": f"{DAY}T0{i}:15:00+00:00"} for i in range(5)]
    events.append({**events[0], "device": "fax"})
    return events


def build_fixture_zone(zone: RawZone) -> RawZone:
    write_csv(zone, "product_catalog", f"product_catalog_{DAY}.csv", catalog_rows())
    write_csv(zone, "customers", f"customers_{DAY}.csv", customer_rows())
    rows = transaction_rows()
    write_csv(zone, "transactions", "ingested_a.csv", rows[:5])
    write_csv(zone, "transactions", "ingested_b.csv", rows[5:])
    events = click_events()
    write_jsonl(zone, "events_00.jsonl", events[:3])
    write_jsonl(zone, "events_01.jsonl", events[3:])
    write_data_file(zone.partition_dir("clickstream", DAY) / "_partition.json", b'{"events": 6}', dataset="clickstream",
                    partition=DAY, record_count=1, fmt="json", source={"type": "test"})
    quarantine = pd.DataFrame({"raw": ["x", "y"], "reason": ["no timestamp", "no timestamp"]})
    write_data_file(zone.quarantine_dir("transactions", DAY) / "quarantine_a.csv", quarantine.to_csv(index=False).encode(),
                    dataset="transactions", partition=DAY, record_count=2, fmt="csv", source={"type": "test"})
    return zone


@pytest.fixture
def fixture_zone(zone: RawZone) -> RawZone:
    return build_fixture_zone(zone)
