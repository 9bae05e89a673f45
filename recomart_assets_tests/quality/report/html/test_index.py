"""``reports/index.html``: every reported day, newest first, with its status and links to its complete
files; rewritten by each report, serialised by the zone lock, and repaired after a kill."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from upath import UPath

from recomart_assets.config import Settings, child_environ
from recomart_assets.lake import RawZone, read_manifest, verify_tree, write_data_file
from recomart_assets.lake.locks import zone_lock
from recomart_assets.quality import write_quality_report
from recomart_assets.quality.report.html import index
from recomart_assets.quality.report.html.index import INDEX_ROLE, index_entries, index_path, write_index
from recomart_assets_tests.fixtures.crash import assert_invariants, run_killed_at, temporary_files
from recomart_assets_tests.fixtures.quality import DAY, build_fixture_zone

EARLIER = "2026-01-04"


class Rows(HTMLParser):
    """The index's rows: (partition, status, links)."""

    def __init__(self, html: str):
        super().__init__()
        self.rows: list[dict] = []
        self._in_badge = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and (attrs.get("id") or "").startswith("day-"):
            self.rows.append({"partition": attrs["id"][4:], "status": "", "links": []})
        elif tag == "span" and self.rows:
            self._in_badge = True
        elif tag == "a" and self.rows:
            self.rows[-1]["links"].append(attrs["href"])

    def handle_endtag(self, tag):
        self._in_badge = self._in_badge and tag != "span"

    def handle_data(self, data):
        if self._in_badge:
            self.rows[-1]["status"] += data


def rows(zone: RawZone) -> list[dict]:
    return Rows(index_path(zone).read_text(encoding="utf-8")).rows


@pytest.fixture(scope="module")
def two_days_root(tmp_path_factory) -> Path:
    """Two reported days, built once (two whole reports take seconds); each test copies them."""
    zone = RawZone(UPath(tmp_path_factory.mktemp("two_days") / "raw_zone"))
    zone.create_tree()
    build_fixture_zone(zone)
    write_quality_report(zone, EARLIER)  # nothing on that day: every dataset missing, status warn
    write_quality_report(zone, DAY)
    return Path(zone.root)


@pytest.fixture
def two_days(two_days_root, tmp_path) -> RawZone:
    shutil.copytree(two_days_root, tmp_path / "raw_zone")  # manifests and their times included
    return RawZone(UPath(tmp_path / "raw_zone"))


def test_each_report_rewrites_the_index_newest_first_with_links(two_days):
    found = rows(two_days)
    assert [(r["partition"], r["status"]) for r in found] == [(DAY, "fail"), (EARLIER, "warn")]
    assert found[0]["links"] == [f"{DAY}/data_quality_report.html", f"{DAY}/data_quality_report.pdf",
                                 f"{DAY}/data_quality_report.json"]
    for link in found[0]["links"] + found[1]["links"]:
        assert (two_days.root / "reports" / link).is_file()
    assert read_manifest(index_path(two_days)).source.inputs == {"days": 2} and verify_tree(two_days.root).ok


def test_only_complete_files_are_linked_and_days_without_results_left_out(two_days):
    (two_days.reports_dir(DAY) / "data_quality_report.pdf.manifest").unlink()  # a PDF being written
    states_only = two_days.reports_dir("2026-01-06") / "states"
    write_data_file(states_only / "customers.json", b"{}", dataset="s", partition="2026-01-06", record_count=1,
                    fmt="json", source={"type": "test"})
    (two_days.root / "reports" / "not-a-day").mkdir()
    write_index(two_days)
    found = rows(two_days)
    assert [r["partition"] for r in found] == [DAY, EARLIER]
    assert f"{DAY}/data_quality_report.pdf" not in found[0]["links"] and len(found[0]["links"]) == 2


def test_a_hostile_status_is_escaped(two_days, monkeypatch):
    entry = index_entries(two_days)[0]
    hostile = entry.__class__(**{**entry.__dict__, "status": '<script>x</script>"onload="', "generated_at": "<b>"})
    html = index.render_index([hostile], "now")
    assert "<script>x" not in html.decode() and "&lt;script&gt;x&lt;/script&gt;" in html.decode()
    assert '"onload="' not in html.decode()


def test_rewrites_wait_for_the_zone_lock(two_days):
    before = read_manifest(index_path(two_days)).created_at
    done = threading.Event()
    with zone_lock(two_days, INDEX_ROLE):
        writer = threading.Thread(target=lambda: (write_index(two_days), done.set()))
        writer.start()
        time.sleep(0.5)
        assert not done.is_set() and read_manifest(index_path(two_days)).created_at == before
    writer.join(10)
    assert done.is_set() and read_manifest(index_path(two_days)).created_at != before


INDEX = [sys.executable, "-c",
         "from recomart_assets.config import Settings; from recomart_assets.lake import RawZone; "
         "from recomart_assets.quality.report.html.index import write_index; "
         "write_index(RawZone.from_settings(Settings.from_env()))"]


@pytest.mark.integration
@pytest.mark.parametrize("step", ["atomic.temp-durable", "report.index-written"])
def test_an_index_writer_killed_leaves_the_old_index_and_the_next_rewrite_repairs(two_days, step):
    old = index_path(two_days).read_bytes()
    (two_days.reports_dir(EARLIER) / "data_quality_report.json.manifest").unlink()  # the next index drops it
    env = child_environ(Settings.from_env({"RECOMART_RAW_ZONE": str(two_days.root)}))
    killed = run_killed_at(INDEX, env, step)
    assert killed.killed, killed.stderr[-2000:]
    if step == "atomic.temp-durable":  # killed with the new bytes in a temporary file
        assert index_path(two_days).read_bytes() == old and temporary_files(Path(two_days.root))
    else:
        assert [r["partition"] for r in rows(two_days)] == [DAY]
    (two_days.reports_dir(EARLIER) / "data_quality_report.json").unlink()
    write_index(two_days)
    assert [r["partition"] for r in rows(two_days)] == [DAY]
    assert_invariants(Path(two_days.root))


def test_empty_zone_writes_an_empty_index(zone):
    write_index(RawZone(UPath(zone.root)))
    assert rows(zone) == [] and "0 reported days" in index_path(zone).read_text()


@pytest.mark.integration
def test_on_object_storage_the_report_writes_the_page_and_the_index(s3_bucket):
    zone = RawZone(UPath(f"s3://{s3_bucket}/lake"))
    zone.create_tree()
    build_fixture_zone(zone)
    report = write_quality_report(zone, DAY)
    assert report.html_path.exists() and read_manifest(report.html_path) is not None
    assert [(r["partition"], r["status"]) for r in rows(zone)] == [(DAY, "fail")]
    assert verify_tree(zone.root).ok
