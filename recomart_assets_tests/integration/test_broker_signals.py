"""``recomart broker`` frees its port whatever stops it (issue 20, class 5): every stop signal, and
its own SIGKILL (the broker then dies with it instead of living on as an orphan)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from recomart_assets.platform.services import free_port, port_open
from recomart_assets.platform.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGKILL, signal.SIGTERM])
def test_the_broker_stops_with_its_command(signum, tmp_path):
    port = free_port()
    command = subprocess.Popen([sys.executable, "-m", "recomart_assets", "broker", "--port", str(port)],
                               env={**os.environ, "RECOMART_RAW_ZONE": str(tmp_path)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until(lambda: port_open("127.0.0.1", port), timeout=30, message="the broker's port")
        command.send_signal(signum)
        command.wait(15)
        wait_until(lambda: not port_open("127.0.0.1", port), timeout=10, message="the port freed")
    finally:
        if command.poll() is None:
            command.kill()
