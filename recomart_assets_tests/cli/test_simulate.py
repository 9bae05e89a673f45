"""``recomart simulate``: each source's generator gets the command's options, days and incident."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest
from click.testing import CliRunner

from recomart_assets.cli import main
from recomart_assets.cli import simulate as simulate_cli
from recomart_assets.simulate.clickstream import ProducedCounts, recent_days


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return {"RECOMART_RAW_ZONE": str(tmp_path / "raw_zone"), "RECOMART_MASTER_EXPORTS": str(tmp_path / "master_exports")}


@pytest.fixture
def produced(monkeypatch) -> list[dict]:
    """The clickstream's produce calls, recorded instead of sent (a broker is not what is tested here)."""
    calls: list[dict] = []

    @contextmanager
    def broker(_settings):
        yield False

    def produce(settings, n_events, days, **options):
        calls.append({"events": n_events, "days": list(days), **options})
        return ProducedCounts(messages=n_events)

    monkeypatch.setattr(simulate_cli, "ensure_broker", broker)
    monkeypatch.setattr(simulate_cli.clickstream, "produce_clickstream", produce)
    return calls


def test_clickstream_days_start_where_asked_and_the_incident_defaults_to_the_last(env, produced):
    result = CliRunner().invoke(main, ["simulate", "clickstream", "--events", "30", "--start", "2026-01-05", "--days",
                                       "3", "--seed", "4", "--dirty-rate", "0.2", "--rate", "50",
                                       "--incident", "new_event_field"], env=env)
    assert result.exit_code == 0, result.output
    call = produced[0]
    assert call["days"] == [date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7)]
    assert (call["events"], call["seed"], call["dirty_rate"], call["rate"]) == (30, 4, 0.2, 50.0)
    assert (call["incident"].kind, call["incident"].day, call["incident"].source) == (
        "new_event_field", date(2026, 1, 7), "clickstream")
    assert "over 2026-01-05..2026-01-07: messages=30" in result.output


def test_clickstream_days_end_yesterday_by_default(env, produced):
    before = recent_days(2)
    result = CliRunner().invoke(main, ["simulate", "clickstream", "--days", "2", "--incident", "source_stops",
                                       "--incident-day", "2026-02-01"], env=env)
    assert result.exit_code == 0, result.output
    assert produced[0]["days"] in (before, recent_days(2))  # the same unless midnight passed meanwhile
    assert produced[0]["incident"].day == date(2026, 2, 1) and produced[0]["incident"].kind == "source_stops"


def test_all_stops_only_the_transactions_on_source_stops(env, produced, tmp_path):
    result = CliRunner().invoke(main, ["simulate", "all", "--events", "10", "--days", "1", "--incident",
                                       "source_stops"], env=env)
    assert result.exit_code == 0, result.output
    assert produced[0]["incident"] is None and produced[0]["events"] == 10
    assert (tmp_path / "master_exports" / "customers.csv").exists()


def test_master_and_transactions_write_their_files(env, tmp_path):
    result = CliRunner().invoke(main, ["simulate", "master", "--products", "5", "--customers", "6"], env=env)
    assert result.exit_code == 0, result.output
    catalog = (tmp_path / "master_exports" / "product_catalog.csv").read_text().splitlines()
    assert len(catalog) == 1 + 5 and f"product_catalog: {tmp_path / 'master_exports' / 'product_catalog.csv'}" in (
        result.output)
    result = CliRunner().invoke(main, ["simulate", "transactions", "--files", "2", "--rows", "10", "--days", "1"],
                                env=env)
    assert result.exit_code == 0, result.output
    dropped = sorted(p.name for p in (tmp_path / "raw_zone" / "landing").glob("*.csv"))
    assert len(dropped) == 2 and [line.split(" ", 1)[1] for line in result.output.splitlines()[:2]] == dropped


def test_unknown_incidents_and_rates_are_refused(env):
    for args in (["clickstream", "--incident", "flood"], ["master", "--dirty-rate", "2"],
                 ["clickstream", "--start", "05/01/2026"], ["transactions", "--files", "0"]):
        assert CliRunner().invoke(main, ["simulate", *args], env=env).exit_code == 2, args


def test_simulate_all_writes_each_source_and_fails_clearly_without_a_broker(tmp_path):
    env = {
        "RECOMART_RAW_ZONE": str(tmp_path / "raw_zone"),
        "RECOMART_MASTER_EXPORTS": str(tmp_path / "master_exports"),
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",  # not the default: nothing may be started for it
    }
    result = CliRunner().invoke(main, ["simulate", "all", "--dirty-rate", "0.01", "--events", "10"], env=env)
    assert result.exit_code == 1
    assert "no Kafka broker answers at 127.0.0.1:1" in result.output
    assert (tmp_path / "master_exports" / "product_catalog.csv").exists()
    assert len(list((tmp_path / "raw_zone" / "landing").glob("*.csv"))) == 5
