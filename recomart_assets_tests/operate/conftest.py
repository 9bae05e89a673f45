"""Fixtures for operating the platform: ``recomart dev`` on a temporary instance, an
S3-compatible server (moto), the local PostgreSQL server, and a Chromium browser installed from
Debian's packages when missing."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from recomart_assets.dev import UI_STARTUP_TIMEOUT, process_tree
from recomart_assets.lake import RawZone
from recomart_assets.settings import Settings, child_environ
from recomart_assets.simulate.master import write_master_exports
from recomart_assets.simulate.processes import ManagedProcess, free_port, port_open
from recomart_assets.ui_api import DagsterUI

LOOPBACK = "127.0.0.1"
PG_PORT = 5432
PG_ADMIN_USER = "postgres"
CHROMIUM_PACKAGE = "chromium"


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory) -> str:
    """An S3-compatible server (moto's server mode) on a free loopback port."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    argv = [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)]
    with ManagedProcess("moto S3 server", argv, ready=lambda: port_open(LOOPBACK, port), log_path=str(log_path)):
        yield f"http://{LOOPBACK}:{port}"


@pytest.fixture
def s3_bucket(moto_endpoint, monkeypatch) -> str:
    """A fresh bucket on the moto server; boto/s3fs find it through the standard AWS variables."""
    for var, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(var, value)
    import s3fs

    bucket = f"recomart-{uuid.uuid4().hex[:12]}"
    s3fs.S3FileSystem(skip_instance_cache=True).mkdir(bucket)
    return bucket


def _pg_connect(dbname: str):
    import psycopg2

    return psycopg2.connect(host=LOOPBACK, port=PG_PORT, user=PG_ADMIN_USER, dbname=dbname, connect_timeout=5)


@pytest.fixture
def postgres_db() -> dict[str, str]:
    """A dedicated database on the local PostgreSQL server (dropped afterwards), as the
    ``DAGSTER_PG_*`` variables docs/dagster.postgres.yaml reads."""
    if not port_open(LOOPBACK, PG_PORT):
        pytest.skip(f"no PostgreSQL server answers on {LOOPBACK}:{PG_PORT}")
    import psycopg2

    try:
        admin = _pg_connect("postgres")
    except psycopg2.OperationalError as exc:
        pytest.skip(f"cannot log in to PostgreSQL on {LOOPBACK}:{PG_PORT} as {PG_ADMIN_USER}: {exc}")
    admin.autocommit = True
    name = f"recomart_test_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {
            "DAGSTER_PG_HOST": LOOPBACK,
            "DAGSTER_PG_PORT": str(PG_PORT),
            "DAGSTER_PG_USER": PG_ADMIN_USER,
            "DAGSTER_PG_PASSWORD": "",
            "DAGSTER_PG_DB": name,
        }
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def pg_query(postgres_db):
    """Run one SQL query against the test database; returns all rows."""

    def query(sql: str) -> list[tuple]:
        with closing(_pg_connect(postgres_db["DAGSTER_PG_DB"])) as conn, conn.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    return query


def _install_chromium() -> str | None:
    """``apt-get install chromium`` (after ``apt-get update``); the reason when impossible."""
    if shutil.which("apt-get") is None:
        return "Chromium is missing and there is no apt-get to install it"
    env = child_environ(DEBIAN_FRONTEND="noninteractive")
    for argv in (["apt-get", "update"], ["apt-get", "install", "-y", CHROMIUM_PACKAGE]):
        result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900, check=False)
        if result.returncode != 0:
            return f"`{' '.join(argv)}` failed: {result.stderr.strip()[-500:]}"
    return None


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Debian's Chromium, installed on first use (never Playwright's own browser download)."""
    path = shutil.which(CHROMIUM_PACKAGE)
    if path is None:
        reason = _install_chromium()
        path = shutil.which(CHROMIUM_PACKAGE)
        if path is None:
            pytest.skip(reason or "Chromium could not be installed")
    return path


@dataclass
class RecomartDev:
    """A ``recomart dev`` started by the tests, with its UI address and settings."""

    process: ManagedProcess
    ui: DagsterUI
    url: str
    settings: Settings


@pytest.fixture(scope="module")
def recomart_dev(tmp_path_factory) -> RecomartDev:
    """``recomart dev`` (the real command) on a free loopback port, with a temporary instance,
    raw zone and small master exports; stopped by PID (and process group) afterwards."""
    root = tmp_path_factory.mktemp("recomart_dev")
    settings = Settings.from_env({
        "RECOMART_RAW_ZONE": str(root / "raw_zone"),
        "RECOMART_MASTER_EXPORTS": str(root / "master_exports"),
        "DAGSTER_HOME": str(root / "dagster_home"),
    })
    RawZone.from_settings(settings).create_tree()
    write_master_exports(settings, n_products=50, n_customers=60)
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    ui = DagsterUI(url)
    process = ManagedProcess(
        "recomart dev",
        [str(Path(sys.executable).with_name("recomart")), "dev", "--port", str(port)],
        ready=ui.ready,
        startup_timeout=UI_STARTUP_TIMEOUT,
        env=child_environ(settings),
        log_path=str(root / "recomart_dev.log"),
    )
    with closing(ui), process_tree(process):
        yield RecomartDev(process, ui, url, settings)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
