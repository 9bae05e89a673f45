"""``recomart consume``: its options become the consumer's, and a bounded run reads a real topic into the lake."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from recomart_assets.cli import consume, main
from recomart_assets.simulate.clickstream import produce_clickstream
from recomart_assets_tests.fixtures.kafka import consumer_env, lake_messages


def test_options_become_the_consumers_and_its_counts_are_printed(monkeypatch, settings):
    calls = []

    @contextmanager
    def no_broker(_settings):
        yield True

    class Counts:
        def as_dict(self):
            return {"events": 3, "quarantined": 1}

    monkeypatch.setattr(consume, "ensure_broker", no_broker)
    monkeypatch.setattr(consume, "run_consumer", lambda s, options: calls.append((s, options)) or Counts())
    result = CliRunner().invoke(consume.command, ["--max-events", "5", "--idle-exit", "0.5", "--batch-size", "7",
                                                  "--allowed-lateness", "60", "--group", "g1",
                                                  "--on-rewind", "restart-from-log-start"],
                                env={"RECOMART_RAW_ZONE": settings.raw_zone})
    assert result.exit_code == 0, result.output
    options = calls[0][1]
    assert (options.max_events, options.idle_exit, options.batch_size, options.group, options.on_rewind) == (
        5, 0.5, 7, "g1", "restart-from-log-start")
    assert options.allowed_lateness == timedelta(seconds=60)
    assert calls[0][0].raw_zone == settings.raw_zone
    assert "started the embedded broker" in result.output and result.output.strip().endswith("events=3 quarantined=1")


def test_values_out_of_bounds_are_refused():
    for args in (["--max-events", "0"], ["--idle-exit", "0"], ["--on-rewind", "skip"], ["--batch-timeout", "0.01"]):
        result = CliRunner().invoke(consume.command, args)
        assert result.exit_code == 2, args


def test_a_bounded_run_consumes_the_topic_into_the_raw_zone(kafka_settings, zone):
    counts = produce_clickstream(kafka_settings, 40, [date(2026, 1, 5)], seed=9)
    result = CliRunner().invoke(main, ["consume", "--max-events", str(counts.messages), "--idle-exit", "5",
                                       "--batch-timeout", "0.5"], env=consumer_env(kafka_settings))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith(f"messages={counts.messages} events={counts.messages} quarantined=0")
    assert sum(lake_messages(zone).values()) == counts.messages


def test_the_collector_settings_come_back_when_the_consumer_stops_even_on_an_error():
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with pytest.raises(RuntimeError), consume._rare_collections():
        assert gc.get_threshold()[0] == 100_000 and gc.get_freeze_count() > frozen
        raise RuntimeError("the consumer failed")
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, frozen)
