"""``recomart demo`` end to end: real broker and API processes, Dagster runs, report, verify; then
the HTML report and the index it printed, opened in a real Chromium from ``file://`` with the
network off.

The services run on free loopback ports (the environment points the demo at them, as it would at
a real cluster), so the test never touches the default ports a developer's ``recomart dev`` uses.
The demo runs once for the module; each test reads what it wrote.
"""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import sync_playwright

from recomart_assets.cli import main
from recomart_assets.config import Settings
from recomart_assets.lake import RawZone, verify_tree
from recomart_assets.platform.broker import broker_process, ensure_topic
from recomart_assets.platform.metadata_api import metadata_api_process
from recomart_assets.platform.services import free_port
from recomart_assets.simulate.metadata_server import DEMO_FAULTS

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The demo's settings and printed output (one run for the module)."""
    tmp_path = tmp_path_factory.mktemp("demo")
    broker_port, api_port = free_port(), free_port()
    env = {
        "RECOMART_RAW_ZONE": str(tmp_path / "raw_zone"),
        "RECOMART_MASTER_EXPORTS": str(tmp_path / "master_exports"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{broker_port}",
        "RECOMART_METADATA_API_URL": f"http://127.0.0.1:{api_port}",
    }
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings = Settings.from_env(env)
        with (broker_process(settings, "127.0.0.1", broker_port),
              metadata_api_process("127.0.0.1", api_port, DEMO_FAULTS)):
            ensure_topic(settings)
            result = CliRunner().invoke(main, ["demo", "--days", "1", "--events", "3000"], catch_exceptions=False)
    return settings, result


def test_demo_runs_every_source_and_finds_every_injected_defect(demo_run):
    demo_env, result = demo_run
    assert result.exit_code == 0, result.output
    assert "MISMATCH" not in result.output
    assert "verify:" in result.output and ", ok" in result.output
    zone = RawZone.from_settings(demo_env)
    assert verify_tree(zone.root).ok
    reports = sorted((zone.root / "reports").glob("*/data_quality_report.json"))
    assert reports, "no quality report written"
    assert all(p.with_name("data_quality_report.pdf").exists() for p in reports)
    assert all(p.with_name("data_quality_report.html").exists() for p in reports)
    assert (zone.root / "reports" / "index.html").exists()
    last = json.loads(reports[-1].read_text())
    assert set(last["datasets"]) == {"clickstream", "transactions", "external_metadata", "product_catalog", "customers"}
    assert last["datasets"]["clickstream"]["row_count"] > 0
    sealed = list((zone.root / "clickstream").glob("*/_partition.json"))
    assert sealed, "no clickstream partition was sealed"


def test_the_printed_html_report_and_index_open_offline_in_chromium(demo_run, chromium_executable):
    settings, result = demo_run
    assert result.exit_code == 0, result.output
    pages = re.findall(r"quality report \(HTML\): (\S+)", result.output)
    index = re.search(r"every reported day: (\S+)", result.output)
    assert pages and index, result.output
    report, index_file = Path(pages[-1]), Path(index.group(1))
    day = report.parent.name
    results = json.loads(report.with_name("data_quality_report.json").read_text())
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True)
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.goto(report.resolve().as_uri())
            shown = page.locator('data[data-json="/datasets/clickstream/row_count"]').first
            assert shown.get_attribute("value") == str(results["datasets"]["clickstream"]["row_count"])
            assert shown.inner_text().replace(",", "") == str(results["datasets"]["clickstream"]["row_count"])
            assert page.locator("svg.chart").count() > 5  # the charts drew, inline
            page.goto(index_file.resolve().as_uri())
            link = page.locator(f'tr#day-{day} a', has_text="HTML")
            assert link.get_attribute("href") == f"{day}/data_quality_report.html"
            assert page.locator(f"tr#day-{day} .badge").inner_text().lower() == results["overall_status"]
            link.click()
            page.wait_for_url(report.resolve().as_uri())
            assert page.locator("h1").inner_text().endswith(day)
        finally:
            browser.close()
    assert requests and all(url.startswith("file://") for url in requests), requests
