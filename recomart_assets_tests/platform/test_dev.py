"""``recomart dev``'s pieces: loopback detection, the dagster dev command line (the code location
module of pyproject.toml), and a stopped child's process group ended after its grace period."""

import os
import subprocess
import sys

from recomart_assets.platform.dev import CODE_LOCATION_MODULE, dagster_dev_argv, end_process_group, is_loopback


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
