"""The health judgement: healthy, stalled, absent, over a group of several members."""

from datetime import UTC, datetime, timedelta

from recomart_assets.sources.clickstream.health import HealthState, judge_health
from recomart_assets.sources.clickstream.progress import ConsumerProgress, PartitionProgress

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STALL = 60.0


def member(name, partitions, updated_ago=1.0, progress_ago=1.0, rate=100.0, quarantined=0, stopped=False):
    updated = NOW - timedelta(seconds=updated_ago)
    return ConsumerProgress(
        member_id=name, topic="t", group="g",
        partitions=tuple(PartitionProgress(p, c, h) for p, c, h in partitions),
        updated_at=updated, started_at=NOW - timedelta(hours=1), last_progress_at=NOW - timedelta(seconds=progress_ago),
        events_per_second=rate, quarantined=quarantined, stopped_at=updated if stopped else None)


def test_no_report_at_all_is_absent():
    health = judge_health([], NOW, STALL)
    assert health.state is HealthState.ABSENT and not health.healthy
    assert "no clickstream consumer has reported in the last 60s" in health.description
    assert health.consumers == 0 and health.consumer_lag == 0


def test_a_group_keeping_up_is_healthy_with_totals_over_its_members():
    health = judge_health([member("a", [(0, 90, 100), (1, 50, 50)], rate=120, quarantined=2),
                           member("b", [(2, 10, 30)], rate=30, quarantined=1)], NOW, STALL)
    assert health.state is HealthState.HEALTHY
    assert (health.consumers, health.consumer_lag, health.high_watermark_total, health.committed_total) == (
        2, 30, 180, 150)
    assert health.events_per_second == 150 and health.quarantined_total == 3
    assert health.metrics() == {"consumer_lag": 30, "high_watermark_total": 180, "committed_offset_total": 150,
                                "events_per_second": 150.0, "quarantined_total": 3, "consumers": 2}
    assert health.console_line() == ("consumer healthy: lag 30, watermark 180, 150 events/s, 3 quarantined,"
                                     " 2 members")


def test_lag_without_progress_for_longer_than_the_setting_is_stalled():
    health = judge_health([member("a", [(0, 100, 100)]), member("b", [(1, 10, 500)], progress_ago=61)], NOW, STALL)
    assert health.state is HealthState.STALLED
    assert "b (lag 490 on partitions 1, no progress for 61s)" in health.description
    assert health.consumer_lag == 490


def test_no_progress_without_lag_is_healthy_and_within_the_setting_too():
    assert judge_health([member("a", [(0, 100, 100)], progress_ago=3600)], NOW, STALL).healthy
    assert judge_health([member("a", [(0, 10, 500)], progress_ago=59)], NOW, STALL).healthy


def test_a_member_silent_longer_than_the_setting_no_longer_counts():
    killed = member("a", [(0, 10, 500)], updated_ago=61, progress_ago=61)
    health = judge_health([killed], NOW, STALL)
    assert health.state is HealthState.ABSENT
    assert "the last member (a) last reported 61s ago with lag 490" in health.description
    # another member took its partitions over: only the live one counts
    health = judge_health([killed, member("b", [(0, 500, 500)])], NOW, STALL)
    assert health.healthy and health.consumers == 1 and health.consumer_lag == 0


def test_a_stopped_member_does_not_count_at_once():
    health = judge_health([member("a", [(0, 500, 500)], stopped=True)], NOW, STALL)
    assert health.state is HealthState.ABSENT and "stopped 1s ago" in health.description


def test_a_partition_listed_by_two_members_counts_once_from_the_freshest_report():
    old_owner = member("a", [(0, 10, 100)], updated_ago=5)
    new_owner = member("b", [(0, 100, 100)], updated_ago=1)
    health = judge_health([new_owner, old_owner], NOW, STALL)
    assert health.consumer_lag == 0 and health.high_watermark_total == 100 and health.consumers == 2
