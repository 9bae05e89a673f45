"""Fixtures: the simulated metadata API as a real subprocess on a free loopback port.

``metadata_api(faults, token=...)`` starts one server per call (stopped by PID at the end of the
test; ``module_metadata_api`` at the end of the module); ``clean_api`` is one fault-free server
shared by the module. Pulls use :data:`FAST` options:
the same retry policy with waits and timeouts shrunk through configuration.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from recomart_assets.settings import Settings
from recomart_assets.simulate.metadata_server import Faults, metadata_api_process
from recomart_assets.simulate.processes import free_port
from recomart_assets.sources.metadata_api import PullOptions

PRODUCTS = 250  # three pages of 100
FAST = PullOptions(
    connect_timeout=2.0, read_timeout=2.0, page_size=100, attempts=3, wait_initial=0.01, wait_max=0.05,
    wait_jitter=0.01, max_retry_after=5.0,
)
SLOW_MS = 6000  # well beyond FAST.read_timeout


def _start(tmp_path_factory, faults: Faults, token: str | None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOMART_")}
    env["RECOMART_RAW_ZONE"] = str(tmp_path_factory.mktemp("api_zone"))
    if token:
        env["RECOMART_METADATA_API_TOKEN"] = token
    port = free_port()
    process = metadata_api_process("127.0.0.1", port, faults, products=PRODUCTS, env=env).start()
    return process, f"http://127.0.0.1:{port}"


def _starter(tmp_path_factory) -> Iterator[Callable[..., str]]:
    started = []

    def start(faults: Faults | None = None, token: str | None = None) -> str:
        process, url = _start(tmp_path_factory, faults or Faults(), token)
        started.append(process)
        return url

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def metadata_api(tmp_path_factory) -> Iterator[Callable[..., str]]:
    """Start a server with these faults (and token) for this test: ``url = metadata_api(Faults(...))``."""
    yield from _starter(tmp_path_factory)


@pytest.fixture(scope="module")
def module_metadata_api(tmp_path_factory) -> Iterator[Callable[..., str]]:
    """The same, for servers shared by a module's tests."""
    yield from _starter(tmp_path_factory)


@pytest.fixture(scope="module")
def clean_api(module_metadata_api) -> str:
    return module_metadata_api()


@pytest.fixture
def api_settings(settings: Settings) -> Callable[..., Settings]:
    """Settings of the test raw zone pointing at a given API URL (and token)."""

    def at(url: str, token: str | None = None) -> Settings:
        env = {"RECOMART_RAW_ZONE": settings.raw_zone, "RECOMART_METADATA_API_URL": url}
        if token:
            env["RECOMART_METADATA_API_TOKEN"] = token
        return replace(Settings.from_env(env), master_exports_dir=settings.master_exports_dir)

    return at
