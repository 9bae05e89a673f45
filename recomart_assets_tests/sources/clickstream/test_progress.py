"""Progress files: round trip, atomic replacement per member, cadence, rate and progress times."""

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from recomart_assets.sources.clickstream.progress import (
    MIN_INTERVAL,
    ConsumerProgress,
    PartitionProgress,
    ProgressReporter,
    member_file,
    process_member_id,
    progress_dir,
    prune_progress,
    read_progress,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clocks:
    """A monotonic and a wall clock the test moves together."""

    def __init__(self):
        self.seconds = 0.0

    def mono(self) -> float:
        return self.seconds

    def wall(self) -> datetime:
        return T0 + timedelta(seconds=self.seconds)


def reporter(zone, clocks, member="host-1") -> ProgressReporter:
    return ProgressReporter(zone, "clicks", "group", member_id=member, interval=2.0, clock=clocks.mono,
                            wall_clock=clocks.wall)


def test_lag_is_the_gap_between_committed_offset_and_high_watermark():
    assert PartitionProgress(0, 90, 100).lag == 10
    assert PartitionProgress(0, 100, 100).lag == 0
    assert PartitionProgress(0, None, 100).lag is None
    assert PartitionProgress(0, 5, None).lag is None


def test_a_report_round_trips_through_its_file(zone):
    clocks = Clocks()
    rep = reporter(zone, clocks)
    rep.start()
    clocks.seconds = 4
    written = rep.report([PartitionProgress(1, 40, 50), PartitionProgress(0, 10, 10)], messages=50, events=48,
                         quarantined=2, reasons={"invalid_json": 2}, kafka_member_id="rdkafka-abc",
                         last_batch_closed_at=clocks.wall())
    [read] = read_progress(zone, "clicks")
    assert read == written
    assert [p.partition for p in read.partitions] == [0, 1]
    assert (read.lag, read.events_per_second, read.quarantined) == (10, 12.5, 2)
    assert read.quarantined_by_reason == {"invalid_json": 2}
    assert read.updated_at == T0 + timedelta(seconds=4) and read.stopped_at is None
    assert member_file(zone, "clicks", "host-1").parent == progress_dir(zone, "clicks")
    assert not [p for p in progress_dir(zone, "clicks").iterdir() if p.name.startswith(".tmp")]


def test_each_member_has_its_own_file_and_bad_files_are_skipped(zone):
    clocks = Clocks()
    reporter(zone, clocks, "a").start()
    reporter(zone, clocks, "b/../x").start()  # a hostile name stays inside the folder
    (progress_dir(zone, "clicks") / "broken.json").write_text("{not json")
    assert sorted(r.member_id for r in read_progress(zone, "clicks")) == ["a", "b/../x"]
    assert sorted(p.name for p in progress_dir(zone, "clicks").iterdir()) == ["a.json", "b_.._x.json", "broken.json"]


def test_reports_are_due_every_interval_and_soon_after_a_published_batch(zone):
    clocks = Clocks()
    rep = reporter(zone, clocks)
    assert rep.due()
    rep.start()
    assert not rep.due()
    clocks.seconds = MIN_INTERVAL
    assert not rep.due()
    rep.batch_published()
    assert rep.due()
    rep.report([], 0, 0, 0, {})
    clocks.seconds += 1.9
    assert not rep.due()
    clocks.seconds += 0.1
    assert rep.due()


def test_progress_time_moves_only_when_offsets_move_or_there_is_no_lag(zone):
    clocks = Clocks()
    rep = reporter(zone, clocks)
    rep.start()
    clocks.seconds = 2
    first = rep.report([PartitionProgress(0, 10, 100)], 10, 10, 0, {})
    assert first.last_progress_at == clocks.wall()  # a new assignment starts a window
    clocks.seconds = 4
    stuck = rep.report([PartitionProgress(0, 10, 150)], 10, 10, 0, {})
    assert stuck.last_progress_at == T0 + timedelta(seconds=2)
    assert stuck.events_per_second == 0
    clocks.seconds = 6
    moved = rep.report([PartitionProgress(0, 60, 150)], 60, 60, 0, {})
    assert moved.last_progress_at == clocks.wall()
    assert moved.events_per_second == 25
    clocks.seconds = 8
    idle = rep.report([PartitionProgress(0, 150, 150)], 150, 150, 0, {})
    clocks.seconds = 10
    still_idle = rep.report([PartitionProgress(0, 150, 150)], 150, 150, 0, {})
    assert idle.last_progress_at < still_idle.last_progress_at == clocks.wall()  # caught up counts as progress


def test_a_clean_stop_is_recorded(zone):
    clocks = Clocks()
    rep = reporter(zone, clocks)
    rep.start()
    clocks.seconds = 3
    rep.report([PartitionProgress(0, 5, 5)], 5, 5, 0, {}, stopped=True)
    [read] = read_progress(zone, "clicks")
    assert read.stopped_at == T0 + timedelta(seconds=3)


def test_files_of_long_gone_members_and_a_killed_members_temporary_files_are_pruned(zone):
    clocks = Clocks()
    reporter(zone, clocks, "old").start()
    clocks.seconds = 3600
    reporter(zone, clocks, "recent").start()
    folder = progress_dir(zone, "clicks")
    left = folder / f".tmp-{'a' * 32}-gone.json"
    fresh = folder / f".tmp-{'b' * 32}-writing.json"
    left.write_text("{")
    fresh.write_text("{")
    os.utime(left, (time.time() - 120, time.time() - 120))
    assert prune_progress(zone, "clicks", T0 + timedelta(days=7, seconds=1800)) == 2
    assert [r.member_id for r in read_progress(zone, "clicks")] == ["recent"]
    assert not left.exists() and fresh.exists()  # a live writer's temporary file stays


def test_from_json_reads_a_file_with_only_the_required_fields():
    raw = (b'{"member_id": "m", "topic": "t", "group": "g", "partitions": [{"partition": 2}],'
           b' "updated_at": "2026-03-01T12:00:00+00:00", "started_at": "2026-03-01T11:00:00+00:00",'
           b' "last_progress_at": "2026-03-01T11:30:00+00:00"}')
    read = ConsumerProgress.from_json(raw)
    assert read.partitions == (PartitionProgress(2, None, None),) and read.lag == 0


def test_a_temporary_file_of_a_dead_process_on_this_host_is_removed_at_once(zone):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = progress_dir(zone, "clicks")
    folder.mkdir(parents=True)
    left = folder / f".tmp-{'c' * 32}-{socket.gethostname()}-{dead.pid}-1.json"
    alive = folder / f".tmp-{'d' * 32}-{process_member_id()}.json"
    elsewhere = folder / f".tmp-{'e' * 32}-other-host-{dead.pid}-1.json"
    for path in (left, alive, elsewhere):
        path.write_text("{")
    assert prune_progress(zone, "clicks", datetime.now(UTC)) == 1
    assert not left.exists() and alive.exists() and elsewhere.exists()
