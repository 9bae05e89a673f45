"""Start a helper service process, wait until it answers, and always stop it again.

Used by ``recomart demo``/``dev`` (start the broker or the API only when nothing answers on the
configured address) and by the test fixtures (a free loopback port per test session).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from recomart_assets.errors import ServiceUnavailable
from recomart_assets.logs import get_logger

log = get_logger("services")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for fixtures)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def split_host_port(address: str, default_port: int) -> tuple[str, int]:
    """``host:port`` (first entry of a comma list; ``http://`` prefix allowed) -> (host, port)."""
    address = address.split(",")[0].split("://")[-1].split("/")[0]
    host, _, port = address.rpartition(":")
    return (host or address, int(port)) if port.isdigit() else (address, default_port)


@dataclass
class ManagedProcess:
    """A child process that is ready when ``ready()`` returns True, stopped by PID on exit."""

    name: str
    argv: Sequence[str]
    ready: Callable[[], bool]
    startup_timeout: float = 30.0
    env: dict[str, str] | None = None
    log_path: str | None = None
    process: subprocess.Popen | None = field(default=None, init=False)

    def start(self) -> ManagedProcess:
        output = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            list(self.argv), stdout=output, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceUnavailable(f"{self.name} exited with code {self.process.returncode} during start-up")
            if self.ready():
                log.info("%s started (pid %d)", self.name, self.process.pid)
                return self
            time.sleep(0.1)
        self.stop()
        raise ServiceUnavailable(f"{self.name} did not become ready within {self.startup_timeout:.0f}s")

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)
        log.info("%s stopped (pid %d)", self.name, self.process.pid)

    def __enter__(self) -> ManagedProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
