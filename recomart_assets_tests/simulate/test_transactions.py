"""The transaction simulator: drops hold what already happened, whatever the time of day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

from recomart_assets.simulate import master
from recomart_assets.simulate.transactions import generate_transactions


def test_no_purchase_lies_after_until_and_none_is_lost():
    until = datetime(2026, 12, 2, 0, 15, tzinfo=UTC)  # just after midnight UTC: the shop's day has just begun
    catalog = master.generate_catalog()
    free = generate_transactions(7, date(2026, 12, 1), 2, 2_000, catalog, 400, "T")
    capped = generate_transactions(7, date(2026, 12, 1), 2, 2_000, catalog, 400, "T", until=until)
    stamps = pd.to_datetime(capped["timestamp"], utc=True, format="ISO8601")
    assert len(capped) == len(free) and stamps.max() <= pd.Timestamp(until)
    assert (pd.to_datetime(free["timestamp"], utc=True, format="ISO8601") > pd.Timestamp(until)).any()
    moved = stamps.dt.strftime("%H:%M:%S").sort_values().tolist()
    assert moved == pd.to_datetime(free["timestamp"], utc=True, format="ISO8601").dt.strftime("%H:%M:%S").sort_values().tolist()
