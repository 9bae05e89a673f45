"""Start a helper service process, wait until it answers, and always stop it again.

Used by ``recomart demo``/``dev`` (start the broker or the API only when nothing answers on the
configured address) and by the test fixtures (a free loopback port per test session).
"""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from recomart_assets.errors import ServiceUnavailable
from recomart_assets.logs import get_logger
from recomart_assets.platform.waiting import poll_until

log = get_logger("services")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for fixtures)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port`` within ``timeout`` seconds."""
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


_PR_SET_PDEATHSIG = 1
# Looked up here, not in the forked child: loading a library there could deadlock on a lock another
# thread of the parent held at fork time.
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None


def _die_with_parent() -> None:
    """In the child, before exec: ask the kernel to SIGKILL it when its parent dies (no handler runs then)."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


@dataclass
class ManagedProcess:
    """A child process that is ready when ``ready()`` returns True, stopped by PID on exit."""

    name: str
    argv: Sequence[str]
    ready: Callable[[], bool]
    startup_timeout: float = 30.0
    env: dict[str, str] | None = None
    log_path: str | None = None
    die_with_parent: bool = False  # SIGKILL the child when this process dies, even by kill -9 (Linux)
    process: subprocess.Popen | None = field(default=None, init=False)

    def start(self) -> ManagedProcess:
        """Starts the process in its own session and waits until it is ready (stopped again if it is not in time)."""
        output = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            list(self.argv), stdout=output, stderr=subprocess.STDOUT, env=self.env, start_new_session=True,
            preexec_fn=_die_with_parent if self.die_with_parent and _prctl is not None else None,
        )
        if poll_until(self._answers, self.startup_timeout, interval=0.1):
            log.info("%s started (pid %d)", self.name, self.process.pid)
            return self
        self.stop()
        raise ServiceUnavailable(f"{self.name} did not become ready within {self.startup_timeout:.0f}s")

    def _answers(self) -> bool:
        """Whether the started process is ready; raises when it exited instead."""
        assert self.process is not None
        if self.process.poll() is not None:
            raise ServiceUnavailable(f"{self.name} exited with code {self.process.returncode} during start-up")
        return self.ready()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds: the process never outlives its owner."""
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
