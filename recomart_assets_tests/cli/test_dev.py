"""``recomart dev``: the UI's address reaches :func:`run_dev` and its exit code becomes the command's.

Starting the services and ``dagster dev`` for real is ``integration/test_dev.py``; here ``run_dev`` is
replaced, so only the command's own handling is under test.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from recomart_assets.cli import dev
from recomart_assets.platform.dev import DEFAULT_HOST, DEFAULT_PORT


@pytest.fixture
def calls(monkeypatch):
    found: list[dict] = []

    def run_dev(settings, host, port, echo):
        found.append({"settings": settings, "host": host, "port": port})
        echo("dev said this")
        return found[0].get("code", 0)

    monkeypatch.setattr(dev, "run_dev", run_dev)
    return found


def test_the_ui_address_and_the_environment_reach_run_dev(calls, settings):
    result = CliRunner().invoke(dev.command, ["--host", "127.0.0.2", "--port", "3999"],
                                env={"RECOMART_RAW_ZONE": settings.raw_zone})
    assert result.exit_code == 0, result.output
    assert (calls[0]["host"], calls[0]["port"]) == ("127.0.0.2", 3999)
    assert calls[0]["settings"].raw_zone == settings.raw_zone
    assert result.output == "dev said this\n"


def test_defaults_are_loopback_and_the_documented_port(calls):
    assert CliRunner().invoke(dev.command, []).exit_code == 0
    assert (calls[0]["host"], calls[0]["port"]) == (DEFAULT_HOST, DEFAULT_PORT) == ("127.0.0.1", 3000)


def test_a_failing_dagster_dev_fails_the_command(monkeypatch):
    monkeypatch.setattr(dev, "run_dev", lambda settings, host, port, echo: 3)
    assert CliRunner().invoke(dev.command, []).exit_code == 3


def test_a_port_out_of_range_is_refused(calls):
    result = CliRunner().invoke(dev.command, ["--port", "70000"])
    assert result.exit_code == 2 and calls == []
