"""``recomart broker``: refuses a taken port; runs the embedded broker on loopback until a stop signal frees it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading

from click.testing import CliRunner

from recomart_assets.cli import broker
from recomart_assets.config import Settings
from recomart_assets.platform.broker import broker_reachable
from recomart_assets.platform.services import free_port, port_open
from recomart_assets.platform.waiting import wait_until

START_TIMEOUT = 20.0


def test_a_port_already_taken_is_refused():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(broker.command, ["--host", "127.0.0.1", "--port", str(port)])
    assert result.exit_code == 1
    assert f"something already listens on 127.0.0.1:{port}" in result.output


def test_bad_ports_and_partitions_are_usage_errors():
    for args in (["--port", "0"], ["--port", "65536"], ["--partitions", "0"]):
        assert CliRunner().invoke(broker.command, args).exit_code == 2, args


def test_the_broker_runs_until_terminated_and_frees_its_port(tmp_path):
    port = free_port()
    env = {**os.environ, "RECOMART_RAW_ZONE": str(tmp_path / "raw_zone")}
    process = subprocess.Popen([sys.executable, "-m", "recomart_assets", "broker", "--port", str(port),
                                "--partitions", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(line.decode() for line in process.stdout), daemon=True)
    reader.start()
    try:
        wait_until(lambda: any("broker ready" in line for line in lines) or process.poll() is not None, START_TIMEOUT)
        assert process.poll() is None, "".join(lines)
        ready = next(line for line in lines if "broker ready" in line)
        assert f"broker ready on 127.0.0.1:{port}" in ready and "2 partitions" in ready
        settings = Settings.from_env({"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}"})
        assert broker_reachable(settings, timeout=5)
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=START_TIMEOUT) == 0
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=START_TIMEOUT)
    reader.join(5)
    assert lines[-1].strip() == "broker stopped"
    wait_until(lambda: not port_open("127.0.0.1", port), 5, message="the broker's port was freed")
