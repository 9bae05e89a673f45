"""Supervising the simulated metadata API: ``recomart metadata-api`` as a managed subprocess, and
starting it for the demo and ``recomart dev`` only when the configured URL is the default one and
nothing answers there (the server itself is :mod:`recomart_assets.simulate.metadata_server`)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from recomart_assets.config import Settings
from recomart_assets.lake.zone import RawZone
from recomart_assets.platform.services import ManagedProcess, port_open, split_host_port
from recomart_assets.simulate.metadata_server import Faults


def api_is_up(base_url: str, timeout: float = 1.0) -> bool:
    """True when ``base_url`` answers ``/health`` with 200."""
    try:
        return httpx.get(f"{base_url}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def metadata_api_process(
    host: str,
    port: int,
    faults: Faults | None = None,
    *,
    products: int | None = None,
    env: dict[str, str] | None = None,
    log_path: str | None = None,
) -> ManagedProcess:
    """``recomart metadata-api`` as a managed subprocess (enter it to start, leave it to stop).

    A token, if any, travels in ``env`` (``RECOMART_METADATA_API_TOKEN``), never on the command line.
    """
    argv = [sys.executable, "-m", "recomart_assets.cli.metadata_api", "--host", host, "--port", str(port)]
    argv += (faults or Faults()).to_args()
    if products is not None:
        argv += ["--products", str(products)]
    return ManagedProcess(
        "metadata-api", argv, ready=lambda: api_is_up(f"http://{host}:{port}"), env=env, log_path=log_path
    )


@contextmanager
def ensure_metadata_api(settings: Settings, faults: Faults | None = None) -> Iterator[bool]:
    """Make sure the metadata API answers; yields True when this call started it (and stops it after).

    Starts the simulated server only when ``settings`` point at the default address and nothing
    answers there; a real or already running API is left alone. Its output goes to
    ``raw_zone/_logs/metadata-api.log`` when the raw zone is local.
    """
    host, port = split_host_port(settings.metadata_api_url, 80)
    if not settings.uses_default_metadata_api or port_open(host, port):
        yield False
        return
    log_path = RawZone.from_settings(settings).log_file("metadata-api.log")
    with metadata_api_process(host, port, faults, log_path=log_path):
        yield True
