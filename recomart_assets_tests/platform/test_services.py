"""Helper services: addresses parsed the way settings give them; a start-up fails fast (exited) or
at its deadline (never ready), and the process is stopped either way."""

import socket
import sys

import pytest

from recomart_assets.errors import ServiceUnavailable
from recomart_assets.platform.services import ManagedProcess, free_port, port_open, split_host_port


@pytest.mark.parametrize(("address", "expected"), [
    ("127.0.0.1:9092", ("127.0.0.1", 9092)), ("kafka-1:9093,kafka-2:9093", ("kafka-1", 9093)),
    ("http://127.0.0.1:8000/", ("127.0.0.1", 8000)), ("api.example", ("api.example", 80)),
])
def test_split_host_port(address, expected):
    assert split_host_port(address, 80) == expected


def test_port_open_only_while_someone_listens():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert port_open("127.0.0.1", server.getsockname()[1])
    assert not port_open("127.0.0.1", free_port(), timeout=0.2)


def test_a_process_that_exits_during_start_up_fails_at_once():
    process = ManagedProcess("quitter", [sys.executable, "-c", "raise SystemExit(3)"], ready=lambda: False,
                             startup_timeout=30)
    with pytest.raises(ServiceUnavailable, match="quitter exited with code 3 during start-up"):
        process.start()


def test_a_process_never_ready_is_stopped_at_its_deadline():
    process = ManagedProcess("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], ready=lambda: False,
                             startup_timeout=0.3)
    with pytest.raises(ServiceUnavailable, match="sleeper did not become ready within 0s"):
        process.start()
    assert process.process.poll() is not None
