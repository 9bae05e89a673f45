"""``recomart simulate transactions`` and ``recomart ingest-transactions`` from the command line (the
later tests in a real process: the waiting, exit codes and summaries are what scripts see)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from recomart_assets.cli import main
from recomart_assets.config import child_environ
from recomart_assets.lake import verify_tree
from recomart_assets_tests.fixtures.landing import csv_text, drop, partition_records, row

BIN = Path(sys.executable).parent


def test_simulate_then_ingest(zone, settings):
    runner = CliRunner()
    env = {"RECOMART_RAW_ZONE": settings.raw_zone}
    simulated = runner.invoke(main, ["simulate", "transactions", "--files", "2", "--rows", "300", "--dirty-rate",
                                     "0.02"], env=env)
    assert simulated.exit_code == 0, simulated.output
    assert "malformed_lines=12" in simulated.output and "files_extra_column=1" in simulated.output
    ingested = runner.invoke(main, ["ingest-transactions", "--settle-seconds", "0"], env=env)
    assert ingested.exit_code == 0, ingested.output
    assert "4 file(s): 2 ingested, 2 quarantined, 0 duplicate, 0 refused, 0 failed" in ingested.output
    assert sum(partition_records(zone).values()) == 2 * (300 + 6 - 12)  # + duplicates - rejects
    assert verify_tree(zone.root).ok


def recomart(settings, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """The real command, in its own process, on the test's raw zone."""
    return subprocess.run([str(BIN / "recomart"), *args], env=child_environ(settings), capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_a_file_dropped_just_before_the_command_is_waited_for_and_ingested(zone, settings):
    name = drop(zone, "Orders Nov 20.csv", csv_text([row(1, "2026-03-01T10:00:00Z")]), age=0)
    done = recomart(settings, "ingest-transactions", "--settle-seconds", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"ingested    {name!r}: 1 records in 1 partition(s)" in done.stdout
    assert "1 ingested" in done.stdout and "0 waiting" in done.stdout
    assert partition_records(zone) == {"2026-03-01": 1}


def test_a_file_still_growing_after_the_wait_is_named_and_the_exit_code_says_so(zone, settings):
    path = os.path.join(zone.landing.path, "growing.csv")
    with open(path, "w") as handle:
        handle.write(csv_text([row(1, "2026-03-01T10:00:00Z")]))
    drop(zone, "done.csv", csv_text([row(2, "2026-03-02T10:00:00Z")]))
    command = subprocess.Popen([str(BIN / "recomart"), "ingest-transactions", "--settle-seconds", "0.5",
                                "--max-wait", "1.5"], env=child_environ(settings), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    with open(path, "a") as handle:  # the upstream keeps writing until the command has given up
        while command.poll() is None:
            assert time.monotonic() < deadline, "the command did not give up waiting"
            handle.write(row(3, "2026-03-01T11:00:00Z") + "\n")
            handle.flush()
            time.sleep(0.1)
    out, err = command.communicate(timeout=10)
    assert command.returncode == 3, out + err
    assert "waiting     'growing.csv': still being written after 1.5 s" in out
    assert "1 ingested" in out and "1 waiting" in out
    assert "1 file(s) still being written" in err
    assert partition_records(zone) == {"2026-03-02": 1}
    os.utime(path, (time.time() - 60, time.time() - 60))  # the upstream is done: the next pass takes it
    assert recomart(settings, "ingest-transactions").returncode == 0
    assert partition_records(zone)["2026-03-01"] >= 2


def test_a_resent_file_is_a_new_version_and_the_summary_says_what_repeats(zone, settings):
    runner, env = CliRunner(), {"RECOMART_RAW_ZONE": settings.raw_zone}

    def ingest():
        done = runner.invoke(main, ["ingest-transactions", "--settle-seconds", "0"], env=env)
        assert done.exit_code == 0, done.output
        return done.output

    drop(zone, "Bestellungen_München.csv", csv_text([row(1, "2026-03-01T10:00:00Z"), row(2, "2026-03-01T11:00:00Z")]))
    ingest()
    drop(zone, "Bestellungen_München.csv", csv_text([row(2, "2026-03-01T11:30:00Z"), row(3, "2026-03-01T12:00:00Z")]))
    again = ingest()
    assert "is a new version (previous" in again
    assert "1 transaction_id value(s) repeat it, both kept" in again
    assert "'Bestellungen_München.csv.replace'" in again
    assert partition_records(zone) == {"2026-03-01": 4}
    drop(zone, "Bestellungen_München.csv.replace", csv_text([row(2, "2026-03-01T11:45:00Z")]))
    assert "replaced its rows in 2026-03-01" in ingest()
    assert partition_records(zone) == {"2026-03-01": 3}  # first version's two rows + the correction
    assert verify_tree(zone.root).ok
