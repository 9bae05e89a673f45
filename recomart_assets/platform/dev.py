"""``recomart dev``: the platform's services plus the Dagster UI, stopped together on Ctrl-C.

Each background service (the embedded broker, the simulated metadata API, the clickstream
consumer) is a context manager factory ``service(settings)`` that starts the service unless it
is already reachable and stops only what it started; :data:`SERVICES` lists them in start order,
one line each. ``dagster dev`` then runs as a child process with a persistent ``DAGSTER_HOME``
(sensors and schedules whose default status is RUNNING start running) on loopback. While it
runs, the console shows the clickstream consumer's health in one line (lag, watermark, rate,
state), judged as the Dagster check ``clickstream_consumer_health`` judges it.

Stopping: ``dagster dev`` maps SIGTERM to its SIGINT handler and shuts down its web server,
daemon and code servers. A process started with SIGINT ignored (``nohup``, ``cmd &`` in a
script) hands that to its children, and ``dagster dev`` would then ignore SIGTERM too, so we
make sure SIGINT is handled before starting it. Whatever of its process group is still alive
after it exits (it runs in a session of its own) is killed by process-group id.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from recomart_assets.config import Settings, child_environ
from recomart_assets.lake import RawZone
from recomart_assets.logs import get_logger
from recomart_assets.platform.broker import ensure_broker
from recomart_assets.platform.graphql import DagsterUI
from recomart_assets.platform.instance import ensure_dagster_home
from recomart_assets.platform.metadata_api import ensure_metadata_api
from recomart_assets.platform.services import ManagedProcess
from recomart_assets.platform.waiting import poll_until
from recomart_assets.sources.clickstream.health import judge_health
from recomart_assets.sources.clickstream.progress import read_progress

log = get_logger("dev")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3000
CODE_LOCATION_MODULE = "recomart_assets.definitions"
# Loading the code location imports pandas, pandera, Dagster...: allow for a slow, busy machine.
UI_STARTUP_TIMEOUT = 180.0
STOP_TIMEOUT = 30.0
HEALTH_INTERVAL = 15.0  # seconds between looks at the consumer's health while the UI runs
HEALTH_REPEAT = 60.0  # an unchanged health line is printed again after this many seconds

Service = Callable[[Settings], AbstractContextManager[object]]

@contextmanager
def clickstream_consumer(settings: Settings) -> Iterator[ManagedProcess]:
    """``recomart consume`` as a child process for the session (stopped with SIGTERM: it flushes).

    Always started: a consumer already running elsewhere in the same group just shares the
    topic's partitions with this one, which the lake-based exactly-once resume makes safe.
    """
    process = ManagedProcess(
        "clickstream consumer", [sys.executable, "-m", "recomart_assets", "consume"],
        ready=lambda: True, env=child_environ(settings),
        log_path=RawZone.from_settings(settings).log_file("consumer.log"),
    )
    with process:
        yield process


# (name, factory) of each background service `recomart dev` starts when it is not reachable.
SERVICES: list[tuple[str, Service]] = [
    ("the embedded Kafka broker", ensure_broker),
    ("the simulated metadata API", ensure_metadata_api),
    ("the clickstream consumer", clickstream_consumer),
]


@dataclass
class DagsterDev:
    """A running ``dagster dev``: its UI address, a GraphQL client and the process."""

    url: str
    ui: DagsterUI
    process: ManagedProcess


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only: the dev services refuse to listen anywhere else."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextmanager
def interrupts_raise() -> Iterator[None]:
    """Inside the block SIGINT and SIGTERM raise KeyboardInterrupt (previous handlers restored after).

    Both unwind the caller's ``with`` blocks, which stop every child by PID; it also makes sure
    children are not born with SIGINT ignored (see the module docstring).
    """
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, signal.default_int_handler)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def end_process_group(pgid: int, grace: float = 5.0) -> None:
    """Give a stopped child's own process group (its grandchildren) ``grace`` seconds to exit,
    then kill what is left of it."""
    def gone() -> bool:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        return False

    if poll_until(gone, grace, interval=0.2):
        return
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return
    log.info("killed what was left of process group %d", pgid)


@contextmanager
def process_tree(process: ManagedProcess, stop_timeout: float = STOP_TIMEOUT) -> Iterator[ManagedProcess]:
    """Start ``process`` (in a session of its own); on exit stop it by PID, then end what is left
    of its process group (the web server, daemon and code servers ``dagster`` commands start)."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # else the child would ignore SIGTERM too
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield process.start()
    finally:
        process.stop(stop_timeout)
        if process.process is not None:
            end_process_group(process.process.pid)


def dagster_dev_argv(host: str, port: int) -> list[str]:
    """The ``dagster dev`` command for the code location, on this interpreter (the project's venv)."""
    return [
        sys.executable, "-m", "dagster", "dev", "-m", CODE_LOCATION_MODULE,
        "--host", host, "--port", str(port), "--log-level", "warning",
    ]


@contextmanager
def dagster_dev(
    settings: Settings,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    log_path: str | Path | None = None,
    startup_timeout: float = UI_STARTUP_TIMEOUT,
) -> Iterator[DagsterDev]:
    """Run ``dagster dev`` with ``DAGSTER_HOME`` from ``settings`` until the block ends.

    Ready once the code location has loaded. The child gets ``settings`` as environment
    variables, so a test's temporary raw zone and instance reach the runs it launches.
    """
    if not is_loopback(host):
        log.warning("the Dagster UI listens on %s: anyone who can reach it can launch runs", host)
    home = ensure_dagster_home(settings)
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    ui = DagsterUI(url)
    process = ManagedProcess(
        "dagster dev",
        dagster_dev_argv(host, port),
        ready=ui.ready,
        startup_timeout=startup_timeout,
        env=child_environ(settings, DAGSTER_HOME=str(home)),
        log_path=str(log_path) if log_path else None,
    )
    with closing(ui), process_tree(process):
        yield DagsterDev(url, ui, process)


def health_line(settings: Settings, now: datetime | None = None) -> str:
    """The consumer's health in one line, judged as the Dagster check judges it (see ``sources/clickstream/health.py``)."""
    records = read_progress(RawZone.from_settings(settings), settings.clickstream_topic)
    return judge_health(records, now or datetime.now(UTC), settings.consumer_stall_seconds).console_line()


def wait_reporting_health(process: subprocess.Popen, settings: Settings, echo: Callable[[str], None],
                          interval: float = HEALTH_INTERVAL, repeat: float = HEALTH_REPEAT) -> int:
    """Wait for ``process`` to exit; meanwhile print the consumer's health line every ``interval`` seconds
    when it changed, and every ``repeat`` seconds anyway. Returns the exit code."""
    last, printed_at = "", float("-inf")
    while True:
        try:
            return process.wait(timeout=interval)
        except subprocess.TimeoutExpired:
            pass
        try:
            line = health_line(settings)
        except OSError as exc:  # an unreadable raw zone must not end the session
            line = f"consumer: cannot read its progress ({exc})"
        if line != last or time.monotonic() - printed_at >= repeat:
            echo(line)
            last, printed_at = line, time.monotonic()


def run_dev(
    settings: Settings,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    services: Sequence[tuple[str, Service]] = SERVICES,
    echo: Callable[[str], None] = print,
) -> int:
    """Start the missing services and the Dagster UI; block until Ctrl-C/SIGTERM or until
    ``dagster dev`` exits. Everything started here is stopped before returning.

    Returns 0 after an interrupt, else ``dagster dev``'s exit code.
    """
    with interrupts_raise(), ExitStack() as stack:
        try:
            for name, service in services:
                echo(f"starting {name} (unless already reachable)")
                stack.enter_context(service(settings))
            echo(f"starting the Dagster UI (DAGSTER_HOME={ensure_dagster_home(settings)})")
            dev = stack.enter_context(dagster_dev(settings, host, port))
            echo(f"Dagster UI on {dev.url} (Ctrl-C stops everything started here)")
            assert dev.process.process is not None  # started by dagster_dev
            code = wait_reporting_health(dev.process.process, settings, echo)  # Ctrl-C/SIGTERM raise out of it
            echo(f"dagster dev exited with code {code}")
            return code
        except KeyboardInterrupt:
            # Shutting down takes a few seconds; a second Ctrl-C must not leave children behind.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            echo("stopping everything started here...")
            return 0
