"""``recomart dev`` without starting Dagster: services start in order and stop in reverse, the
settings reach the child processes, and the UI stays on loopback unless asked otherwise."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager

import pytest

from recomart_assets.config import Settings, child_environ
from recomart_assets.platform import dev


def test_every_setting_reaches_a_child_process():
    settings = Settings.from_env({
        "RECOMART_RAW_ZONE": "s3://bucket/zone", "KAFKA_BOOTSTRAP_SERVERS": "kafka-1:9093",
        "RECOMART_METADATA_API_TOKEN": "t0ken", "DAGSTER_HOME": "/srv/dagster", "TANSU_BIN": "/opt/tansu",
    })
    assert Settings.from_env(settings.as_environ()) == settings
    environ = child_environ(settings, EXTRA="1")
    assert environ.items() >= settings.as_environ().items()
    assert environ["RECOMART_METADATA_API_TOKEN"] == "t0ken" and environ["EXTRA"] == "1"


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("10.1.2.3", False),
])
def test_loopback_hosts(host, loopback):
    assert dev.is_loopback(host) is loopback


def test_the_ui_binds_to_loopback_by_default():
    argv = dev.dagster_dev_argv(dev.DEFAULT_HOST, dev.DEFAULT_PORT)
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--port") + 1] == "3000"


def test_services_start_in_order_and_stop_in_reverse(settings, monkeypatch):
    events: list[str] = []

    def service(name):
        @contextmanager
        def run(_settings):
            events.append(f"start {name}")
            yield
            events.append(f"stop {name}")
        return run

    @contextmanager
    def fake_dagster_dev(_settings, host, port):
        events.append(f"ui {host}:{port}")
        exited = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
        exited.wait()
        yield dev.DagsterDev(f"http://{host}:{port}", None, type("P", (), {"process": exited})())
        events.append("ui stopped")

    monkeypatch.setattr(dev, "dagster_dev", fake_dagster_dev)
    code = dev.run_dev(settings, services=[("broker", service("broker")), ("api", service("api"))], echo=lambda _: None)
    assert code == 3
    assert events == ["start broker", "start api", "ui 127.0.0.1:3000", "ui stopped", "stop api", "stop broker"]
