"""``recomart dev`` end to end: the code location loads with sensors and schedules on, a real
Chromium sees every asset in the graph and materializes a partition from the UI, a backfill runs
through the daemon, and Ctrl-C stops every process the command started.

The tests share the session's ``recomart dev`` (start-up costs ~15 s) and one browser context, and
run in any order: each works on days of its own, and the Ctrl-C test's stop only makes the next test
start a new ``recomart dev``.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from recomart_assets.definitions import defs
from recomart_assets.lake import RawZone, read_manifest, verify_tree
from recomart_assets.lake.frames import partition_file
from recomart_assets.platform.waiting import wait_until
from recomart_assets.simulate.clickstream import produce_clickstream
from recomart_assets.sources.clickstream.health import judge_health
from recomart_assets.sources.clickstream.progress import read_progress

pytestmark = pytest.mark.integration

# The flags the brief's sandbox needs; Chromium must not reach out to the network either.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
UI_TIMEOUT_MS = 30_000
RUN_TIMEOUT_S = 180


def days_ago(n: int) -> str:
    """A past day (a closed partition); each test uses days no other test touches."""
    return (datetime.now(UTC).date() - timedelta(days=n)).isoformat()


def _asset_graph():
    return defs.get_repository_def().asset_graph


def _shown_asset_keys():
    """The assets the UI draws: those that can be materialized or observed (a dependency that
    no definition provides yet is a stub, not drawn)."""
    graph = _asset_graph()
    return sorted(graph.materializable_asset_keys | graph.observable_asset_keys)


def _descendants(pid: int) -> set[int]:
    table = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True, check=True).stdout
    children: dict[int, list[int]] = {}
    for line in table.splitlines():
        child, parent = map(int, line.split())
        children.setdefault(parent, []).append(child)
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it is not)."""
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    return bool(state) and not state.startswith("Z")


@pytest.fixture(scope="module")
def browser_context(chromium_executable) -> BrowserContext:
    """One headless Chromium for the module, one context (so the UI's scripts load once from the cache)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS)
        try:
            yield browser.new_context(viewport={"width": 1600, "height": 1000})
        finally:
            browser.close()


@pytest.fixture
def page(recomart_dev, browser_context, request) -> Page:
    """A new page on the UI; a screenshot goes to tmp/artifacts if the test fails."""
    artifacts = request.config.rootpath / "tmp" / "artifacts"
    page = browser_context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    # The first visit of a new instance may greet with a community dialog: dismiss it.
    page.add_locator_handler(page.get_by_role("button", name="Skip"), lambda skip: skip.click())
    try:
        yield page
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            artifacts.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(artifacts / f"{request.node.name}.png"), full_page=True)
        page.close()


def test_code_location_loads_with_sensors_and_schedules_running(recomart_dev):
    repo = defs.get_repository_def()
    expected = {s.name for s in repo.sensor_defs} | {s.name for s in repo.schedule_defs}
    states = recomart_dev.ui.automation_states()
    assert set(states) == expected
    assert all(state == "RUNNING" for state in states.values()), states


def test_the_graph_shows_every_asset_and_a_partition_materializes_from_the_ui(recomart_dev, page):
    day = days_ago(1)
    page.goto(f"{recomart_dev.url}/asset-groups")
    expect(page.get_by_text("Global asset lineage")).to_be_visible()
    expand_group = page.get_by_role("img", name="unfold_more")
    expect(expand_group.first).to_be_visible()
    while expand_group.count():  # open every asset group of the graph
        expand_group.first.click()
    graph_nodes = page.locator("svg foreignObject")
    jump_to = page.get_by_placeholder("Jump to")
    for key in _shown_asset_keys():
        # "Jump to" selects the asset and centres the graph on it (a large graph is drawn lazily).
        jump_to.fill(key.to_user_string())
        page.get_by_role("menuitem", name=key.to_user_string(), exact=True).click()
        expect(graph_nodes.get_by_text(key.path[-1], exact=True).first).to_be_visible(timeout=UI_TIMEOUT_MS)

    page.goto(f"{recomart_dev.url}/assets/product_catalog")
    page.get_by_role("button", name=re.compile("Materialize")).first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_placeholder("No matching partitions").fill(day)
    dialog.get_by_placeholder("No matching partitions").press("Enter")
    dialog.get_by_role("button", name="Launch 1 run").click()
    expect(dialog).to_be_hidden()

    [run] = recomart_dev.ui.runs({"dagster/partition": day})
    assert recomart_dev.ui.wait_for_run(run.run_id, timeout=RUN_TIMEOUT_S).status == "SUCCESS"
    page.goto(f"{recomart_dev.url}/runs/{run.run_id}")
    expect(page.get_by_text("Success").first).to_be_visible()

    # The materialization's metadata, as the IO manager recorded it.
    zone = RawZone.from_settings(recomart_dev.settings)
    manifest = read_manifest(partition_file(zone, "product_catalog", day, "csv"))
    page.goto(f"{recomart_dev.url}/assets/product_catalog?view=events")
    expect(page.get_by_text(manifest.md5).first).to_be_visible()


def test_the_quality_report_metadata_shows_in_the_ui(recomart_dev, page):
    day = days_ago(2)
    # Nothing was ingested for this day: the report marks every dataset missing.
    run_id = recomart_dev.ui.launch_asset_run(["data_quality_report"], day)
    assert recomart_dev.ui.wait_for_run(run_id, timeout=RUN_TIMEOUT_S).status == "SUCCESS"
    zone = RawZone.from_settings(recomart_dev.settings)
    assert read_manifest(zone.reports_dir(day) / "data_quality_report.pdf") is not None
    page.goto(f"{recomart_dev.url}/assets/data_quality_report?view=events")
    expect(page.get_by_text("overall_status").first).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_text("data_quality_report.pdf").first).to_be_visible(timeout=UI_TIMEOUT_MS)


def test_a_backfill_through_the_daemon(recomart_dev):
    graph = _asset_graph()
    keys = [k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).group_name == "master_data"]
    days = [days_ago(4), days_ago(3)]
    zone = RawZone.from_settings(recomart_dev.settings)
    targets = [partition_file(zone, key, day, "csv") for key in keys for day in days]
    backfill = recomart_dev.ui.launch_asset_backfill(keys, days, title="test backfill")
    # The backfill daemon looks at backfills every 30 s: it launches the runs on its next pass and
    # marks the backfill complete on the pass after. Waiting for the data saves that second pass.
    wait_until(lambda: all(read_manifest(path) for path in targets), RUN_TIMEOUT_S, interval=0.5,
               message="the backfill writes every partition")
    runs = recomart_dev.ui.backfill_runs(backfill)
    assert len(runs) == len(days)
    assert {recomart_dev.ui.wait_for_run(run.run_id, timeout=RUN_TIMEOUT_S).status for run in runs} == {"SUCCESS"}
    assert verify_tree(zone.root).ok


def test_a_failed_run_shows_a_readable_error(recomart_dev, page, tmp_path):
    missing = tmp_path / "no_exports_here"
    run_id = recomart_dev.ui.launch_asset_run(
        ["product_catalog"], days_ago(5),
        run_config={"resources": {"recomart": {"config": {"master_exports_dir": str(missing)}}}},
    )
    assert recomart_dev.ui.wait_for_run(run_id, timeout=RUN_TIMEOUT_S).status == "FAILURE"
    page.goto(f"{recomart_dev.url}/runs/{run_id}")
    # The log scrolls to its end, past the step's failure (the checks' "not executing" lines
    # follow it): show that step's events only.
    log_filter = page.get_by_placeholder("Filter…").or_(page.get_by_placeholder("Filter..."))
    log_filter.fill("step:product_catalog")
    log_filter.press("Enter")
    expect(page.get_by_text(re.compile(r"Dependencies for step .* failed"))).to_have_count(0)
    expect(page.get_by_text(re.compile(r"master export .* is missing")).first).to_be_visible()


_OBSERVATIONS = """
query { assetOrError(assetKey: {path: ["clickstream"]}) { __typename
  ... on Asset { assetObservations(limit: 1) { metadataEntries { label
    ... on IntMetadataEntry { intValue } ... on FloatMetadataEntry { floatValue } } } } } }"""


def _latest_observation(ui) -> dict:
    """The numbers of the newest observation of ``clickstream``, as the UI's GraphQL API serves them."""
    asset = ui.query(_OBSERVATIONS)["assetOrError"]
    observations = asset.get("assetObservations") or [{"metadataEntries": []}]
    return {e["label"]: e.get("intValue", e.get("floatValue")) for e in observations[0]["metadataEntries"]}


def test_the_consumer_lag_shows_on_the_clickstream_asset_within_a_minute_of_traffic(recomart_dev, page):
    settings = recomart_dev.settings
    topic = settings.clickstream_topic
    zone = RawZone.from_settings(settings)
    # `recomart dev` started the consumer: wait for its report, then send traffic.
    wait_until(lambda: read_progress(zone, topic), 60, interval=0.5, message="the consumer reports its progress")
    before = judge_health(read_progress(zone, topic), datetime.now(UTC), settings.consumer_stall_seconds)
    produced = produce_clickstream(settings, 2000, [datetime.now(UTC).date() - timedelta(days=9)], seed=9)
    watermark = before.high_watermark_total + produced.messages
    started = time.monotonic()
    wait_until(lambda: _latest_observation(recomart_dev.ui).get("high_watermark_total") == watermark,
               60, interval=1, message="the sensor observes the new watermark on clickstream")
    # The asset's overview: the observation's metadata, with the watermark just observed.
    page.goto(f"{recomart_dev.url}/assets/clickstream")
    metadata = page.get_by_role("row").filter(has=page.get_by_text("high_watermark_total", exact=True))
    expect(metadata.get_by_text(str(watermark), exact=True)).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_role("row").filter(has=page.get_by_text("consumer_lag", exact=True))).to_be_visible()
    page.get_by_role("button", name="Plots").click()
    page.get_by_role("button", name="Events").click()  # plotted by time (the observations have no partition)
    for plotted in ("consumer_lag", "high_watermark_total", "events_per_second"):
        expect(page.get_by_text(plotted, exact=True)).to_be_visible()
    page.goto(f"{recomart_dev.url}/assets/clickstream?view=checks")
    page.get_by_text("clickstream_consumer_health").first.click()
    # The sensor's evaluation: passed, its description saying why.
    expect(page.get_by_text(re.compile(r"^healthy: 1 consumer\(s\) keeping up")).first).to_be_visible()
    assert time.monotonic() - started < 60


def test_ctrl_c_stops_everything_it_started(recomart_dev):
    process = recomart_dev.process.process
    started = _descendants(process.pid)
    assert started, "recomart dev runs dagster dev as a child"
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=90) == 0
    assert not [pid for pid in started if _alive(pid)]
