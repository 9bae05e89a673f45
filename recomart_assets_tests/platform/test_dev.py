"""``recomart dev``'s pieces: loopback detection, the dagster dev command line (the code location
module of pyproject.toml), a stopped child's process group ended after its grace period, and the
consumer's health line on the console."""

import os
import subprocess
import sys
from datetime import UTC, datetime

from recomart_assets.lake import RawZone
from recomart_assets.platform.dev import (
    CODE_LOCATION_MODULE,
    dagster_dev_argv,
    end_process_group,
    is_loopback,
    wait_reporting_health,
)
from recomart_assets.sources.clickstream.progress import ConsumerProgress, PartitionProgress, write_progress


def test_is_loopback():
    assert is_loopback("localhost") and is_loopback("127.0.0.1") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.com")


def test_dagster_dev_loads_the_code_location_module():
    argv = dagster_dev_argv("127.0.0.1", 3000)
    assert argv[:4] == [sys.executable, "-m", "dagster", "dev"]
    assert argv[argv.index("-m", 3) + 1] == CODE_LOCATION_MODULE == "recomart_assets.definitions"


def test_what_is_left_of_a_process_group_is_killed_after_the_grace():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        end_process_group(os.getpgid(child.pid), grace=0.2)
        assert child.wait(timeout=10) == -9
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_an_empty_process_group_returns_at_once():
    child = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    pgid = child.pid
    child.wait()
    end_process_group(pgid, grace=30)  # would take 30 s if it waited for a group that is gone


def test_the_console_shows_the_consumer_health_while_the_ui_runs(settings):
    now = datetime.now(UTC)
    write_progress(RawZone.from_settings(settings), ConsumerProgress(
        member_id="m", topic=settings.clickstream_topic, group="g", partitions=(PartitionProgress(0, 70, 100),),
        updated_at=now, started_at=now, last_progress_at=now, events_per_second=12.0))
    lines: list[str] = []
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1.5); raise SystemExit(3)"])
    assert wait_reporting_health(child, settings, lines.append, interval=0.2, repeat=60) == 3
    # printed once (unchanged afterwards), the same words the Dagster check uses
    assert lines == ["consumer healthy: lag 30, watermark 100, 12 events/s, 0 quarantined, 1 member"]
