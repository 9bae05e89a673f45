"""Simulated incidents change exactly their day and their target, and nothing else."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from click.testing import CliRunner

from recomart_assets.cli import main
from recomart_assets.lake import RawZone
from recomart_assets.simulate import master
from recomart_assets.simulate.clickstream import SessionGenerator
from recomart_assets.simulate.incidents import Incident, apply_to_catalog, apply_to_events, apply_to_transactions
from recomart_assets.simulate.transactions import COLUMNS, write_daily_drops

DAY = date(2026, 3, 10)
DAYS = [date(2026, 3, 9), DAY]


def events() -> list[dict]:
    return list(SessionGenerator(seed=7, n_products=50, n_customers=100).events(4_000, DAYS))


def on(day: date, items: list[dict]) -> list[dict]:
    return [e for e in items if pd.Timestamp(e["timestamp"]).tz_convert("UTC").date() == day]


def test_missing_device_share_drops_whole_sessions_of_that_device_on_that_day_only():
    before = events()
    after = list(apply_to_events(Incident("missing_device_share", DAY, share=0.5), [dict(e) for e in before]))
    assert on(DAYS[0], after) == on(DAYS[0], before)
    android = [e for e in on(DAY, before) if e["device"] == "android"]
    kept = [e for e in on(DAY, after) if e["device"] == "android"]
    assert 0.3 < len(kept) / len(android) < 0.7
    assert [e for e in on(DAY, after) if e["device"] != "android"] == [e for e in on(DAY, before)
                                                                      if e["device"] != "android"]
    lost = {e["session_id"] for e in android} - {e["session_id"] for e in kept}
    assert not lost & {e["session_id"] for e in kept}  # a lost session is lost entirely


def test_null_product_id_and_new_field_touch_only_the_device():
    nulled = on(DAY, list(apply_to_events(Incident("null_product_id_on_device", DAY), events())))
    assert all(e["product_id"] is None for e in nulled if e["device"] == "android")
    assert any(e["product_id"] for e in nulled if e["device"] == "web")
    extra = list(apply_to_events(Incident("new_event_field", DAY), events()))
    assert {e.get("app_version") for e in on(DAY, extra) if e["device"] == "android"} == {"7.4.0"}
    assert all("app_version" not in e for e in on(DAYS[0], extra) + [e for e in extra if e["device"] != "android"])
    stopped = list(apply_to_events(Incident("source_stops", DAY, source="clickstream"), events()))
    assert on(DAY, stopped) == [] and on(DAYS[0], stopped) == on(DAYS[0], events())


def transactions() -> pd.DataFrame:
    return pd.DataFrame({
        "transaction_id": ["T1", "T2", "T3", "T4"],
        "product_id": ["P000001", "P000002", "P000001", "P000002"],
        "price": ["10.50", "20.00", "10.50", "20.00"],
        "timestamp": ["2026-03-10T01:00:00Z", "2026-03-10T12:00:00+05:30", "2026-03-09T23:00:00Z",
                      "2026-03-10T03:00:00+05:30"],  # the last is 2026-03-09 21:30 UTC
    })


CATALOG = pd.DataFrame({"product_id": ["P000001", "P000002"], "category": ["books", "toys"],
                        "price": [10.5, 20.0]})


def test_prices_in_cents_only_for_the_category_on_the_day():
    changed = apply_to_transactions(Incident("prices_in_cents", DAY), transactions(), CATALOG)
    assert changed["price"].tolist() == ["1050", "20.00", "10.50", "20.00"]
    assert apply_to_catalog(Incident("prices_in_cents", DAY), CATALOG)["price"].tolist() == [1050.0, 20.0]
    assert apply_to_catalog(Incident("new_event_field", DAY), CATALOG) is CATALOG


def test_source_stops_removes_the_days_transactions():
    stopped = apply_to_transactions(Incident("source_stops", DAY), transactions(), CATALOG)
    assert stopped["transaction_id"].tolist() == ["T3", "T4"]
    other = apply_to_transactions(Incident("source_stops", DAY, source="external_metadata"), transactions(), CATALOG)
    assert len(other) == 4


def test_unknown_incidents_and_parameters_are_refused():
    for kwargs, message in (({"kind": "meteor"}, "unknown incident 'meteor'"),
                            ({"kind": "source_stops", "source": "fax"}, "unknown source 'fax'"),
                            ({"kind": "prices_in_cents", "category": "cars"}, "unknown category 'cars'")):
        with pytest.raises(ValueError, match=message):
            Incident(day=DAY, **kwargs)


def landed(settings) -> pd.DataFrame:
    files = sorted(RawZone.from_settings(settings).landing.glob("*.csv"))
    return pd.concat([pd.read_csv(f, dtype=str).assign(file=f.name) for f in files], ignore_index=True)


def test_daily_drops_hold_one_whole_utc_day_each(settings):
    report = write_daily_drops(settings, DAYS, rows_per_day=300, incident=Incident("source_stops", DAYS[0]))
    assert len(report.files) == 1  # the first day stopped: no file at all
    frame = landed(settings)
    assert list(frame.columns[:-1]) == COLUMNS
    days = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601").dt.date
    assert set(days) == {DAY} and 200 < len(frame) < 400
    hours = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601").dt.hour
    assert hours.min() == 0 and hours.max() == 23  # whole days: no hour cut off by the shop's offset


def test_simulate_transactions_with_an_incident_changes_todays_rows(settings):
    env = {"RECOMART_RAW_ZONE": settings.raw_zone, "RECOMART_MASTER_EXPORTS": settings.master_exports_dir}
    result = CliRunner().invoke(main, ["simulate", "transactions", "--days", "2", "--files", "2", "--rows", "2000",
                                       "--incident", "prices_in_cents"], env=env)
    assert result.exit_code == 0, result.output
    frame = landed(settings)
    books = frame["product_id"].isin(master.generate_catalog().query("category == 'books'")["product_id"])
    today = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601").dt.date == pd.Timestamp.now("UTC").date()
    in_cents = ~frame["price"].str.contains(".", regex=False)
    assert (books & today).any() and (in_cents == (books & today)).all()
