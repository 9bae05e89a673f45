"""``recomart demo`` end to end: real broker and API processes, Dagster runs, report, verify.

The services run on free loopback ports (the environment points the demo at them, as it would at
a real cluster), so the test never touches the default ports a developer's ``recomart dev`` uses.
"""

import json

import pytest
from click.testing import CliRunner

from recomart_assets.cli import main
from recomart_assets.config import Settings
from recomart_assets.lake import RawZone, verify_tree
from recomart_assets.platform.broker import broker_process, ensure_topic
from recomart_assets.platform.metadata_api import metadata_api_process
from recomart_assets.platform.services import free_port
from recomart_assets.simulate.metadata_server import DEMO_FAULTS


@pytest.fixture
def demo_env(tmp_path, monkeypatch):
    broker_port, api_port = free_port(), free_port()
    env = {
        "RECOMART_RAW_ZONE": str(tmp_path / "raw_zone"),
        "RECOMART_MASTER_EXPORTS": str(tmp_path / "master_exports"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{broker_port}",
        "RECOMART_METADATA_API_URL": f"http://127.0.0.1:{api_port}",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env(env)
    with broker_process(settings, "127.0.0.1", broker_port), metadata_api_process("127.0.0.1", api_port, DEMO_FAULTS):
        ensure_topic(settings)
        yield settings


def test_demo_runs_every_source_and_finds_every_injected_defect(demo_env):
    result = CliRunner().invoke(main, ["demo", "--days", "1", "--events", "3000"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "MISMATCH" not in result.output
    assert "verify:" in result.output and ", ok" in result.output
    zone = RawZone.from_settings(demo_env)
    assert verify_tree(zone.root).ok
    reports = sorted((zone.root / "reports").glob("*/data_quality_report.json"))
    assert reports, "no quality report written"
    assert all(p.with_name("data_quality_report.pdf").exists() for p in reports)
    last = json.loads(reports[-1].read_text())
    assert set(last["datasets"]) == {"clickstream", "transactions", "external_metadata", "product_catalog", "customers"}
    assert last["datasets"]["clickstream"]["row_count"] > 0
    sealed = list((zone.root / "clickstream").glob("*/_partition.json"))
    assert sealed, "no clickstream partition was sealed"
