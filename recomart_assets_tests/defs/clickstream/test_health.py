"""The consumer health sensor and check: what they report on ``clickstream`` from the progress files."""

import json
from datetime import UTC, datetime, timedelta

from dagster import AssetCheckEvaluation, AssetCheckSeverity, AssetKey, AssetObservation, build_sensor_context

from recomart_assets.defs.clickstream.health import clickstream_consumer_health_sensor, consumer_health
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.sources.clickstream.progress import ConsumerProgress, PartitionProgress, write_progress

TOPIC = "reco_clickstream"


def resource(settings, stall=30) -> RecomartResource:
    return RecomartResource.from_settings(settings.replace(consumer_stall_seconds=stall))


def report(zone, name, partitions, age=1.0, progress_age=1.0, rate=50.0, quarantined=0):
    now = datetime.now(UTC)
    write_progress(zone, ConsumerProgress(
        member_id=name, topic=TOPIC, group="g", partitions=tuple(PartitionProgress(*p) for p in partitions),
        updated_at=now - timedelta(seconds=age), started_at=now - timedelta(hours=1),
        last_progress_at=now - timedelta(seconds=progress_age), events_per_second=rate, quarantined=quarantined))


def tick(recomart, cursor=None):
    return clickstream_consumer_health_sensor(build_sensor_context(cursor=cursor, resources={"recomart": recomart}))


def events_of(result):
    observations = [e for e in result.asset_events if isinstance(e, AssetObservation)]
    checks = [e for e in result.asset_events if isinstance(e, AssetCheckEvaluation)]
    return observations, checks


def test_a_healthy_group_is_observed_with_plottable_numbers_and_a_passing_check(zone, settings):
    report(zone, "a", [(0, 90, 100), (1, 200, 200)], rate=40, quarantined=3)
    report(zone, "b", [(2, 50, 70)], rate=10)
    [obs], [check] = events_of(tick(resource(settings)))
    assert obs.asset_key == AssetKey("clickstream")
    values = {k: v.value for k, v in obs.metadata.items()}
    assert values == {"consumer_lag": 30, "high_watermark_total": 370, "committed_offset_total": 340,
                      "events_per_second": 50.0, "quarantined_total": 3, "consumers": 2, "consumer_state": "healthy"}
    assert all(isinstance(values[k], (int, float)) for k in values if k != "consumer_state")
    assert check.check_name == "clickstream_consumer_health" and check.passed
    assert check.severity == AssetCheckSeverity.WARN
    assert check.description.startswith("healthy: 2 consumer(s)")


def test_a_stalled_member_and_a_silent_group_warn_saying_which(zone, settings):
    report(zone, "a", [(0, 10, 100)], progress_age=45)
    [_], [check] = events_of(tick(resource(settings)))
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    assert check.description.startswith("stalled: consumer stalled: a (lag 90")
    report(zone, "a", [(0, 10, 100)], age=40, progress_age=45)
    [_], [check] = events_of(tick(resource(settings)))
    assert not check.passed and check.description.startswith("absent: no clickstream consumer has reported")
    assert check.metadata["state"].value == "absent"


def test_no_progress_file_is_absent(settings):
    [obs], [check] = events_of(tick(resource(settings)))
    assert obs.metadata["consumers"].value == 0 and not check.passed


def test_unchanged_figures_are_not_reported_again_until_due(zone, settings):
    recomart = resource(settings)
    report(zone, "a", [(0, 100, 100)], rate=0)
    first = tick(recomart)
    assert len(first.asset_events) == 2
    again = tick(recomart, first.cursor)
    assert not again.asset_events and "unchanged" in again.skip_reason.skip_message
    report(zone, "a", [(0, 100, 120)], rate=0)  # new traffic: a new observation, same verdict
    observations, checks = events_of(tick(recomart, again.cursor))
    assert len(observations) == 1 and not checks
    cursor = json.loads(first.cursor)
    cursor["checked_at"] -= 301
    cursor["observed_at"] -= 61
    assert len(tick(recomart, json.dumps(cursor)).asset_events) == 2


def test_the_check_judges_the_same_files_as_the_sensor(zone, settings):
    report(zone, "a", [(0, 5, 5)])
    assert consumer_health(resource(settings)).healthy
    assert not consumer_health(resource(settings), now=datetime.now(UTC) + timedelta(seconds=60)).healthy
