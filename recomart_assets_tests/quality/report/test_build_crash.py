"""The report writer killed (SIGKILL) at each step of its protocol, and on a full disk: after a
rerun, the day's results equal an uninterrupted run's, ``verify`` is clean, no temporary file is
left; on a full disk the write fails clearly, publishes nothing half-written, and a rerun once
space returns completes.

The writer runs as a subprocess through the same function the ``data_quality_report`` asset calls
(a Dagster run would add seconds of start-up to every case and test nothing more of the writer).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import orjson
import pytest
from upath import UPath

from recomart_assets.config import Settings, child_environ
from recomart_assets.lake import RawZone, read_manifest, verify_tree
from recomart_assets.quality import write_quality_report
from recomart_assets_tests.fixtures.crash import assert_invariants, fill, run_killed_at, small_disk
from recomart_assets_tests.fixtures.quality import DAY, build_fixture_zone

pytestmark = pytest.mark.integration

REPORT = [sys.executable, "-c",
          "import sys; from recomart_assets.config import Settings; from recomart_assets.lake import RawZone; "
          "from recomart_assets.quality import write_quality_report; "
          "write_quality_report(RawZone.from_settings(Settings.from_env()), sys.argv[1])", DAY]
# The protocol's steps, and one instant inside a write: the JSON's bytes durable in a temporary file,
# not yet renamed (the first write of the run: the states are the fixture's own), which the rerun removes.
# (A kill inside the index's write: recomart_assets_tests/quality/report/html/test_index.py.)
STEPS = ["report.states-written", "report.json-written", "report.pdf-written", "report.html-written",
         "report.index-written", "atomic.temp-durable"]
VARYING = ("generated_at",)  # the only key that differs between two runs over the same raw zone


@pytest.fixture(scope="module")
def fixture_root(tmp_path_factory) -> Path:
    """One fixture raw zone that each test copies (manifests and their times included)."""
    zone = RawZone(UPath(tmp_path_factory.mktemp("fixture") / "raw_zone"))
    zone.create_tree()
    return Path(build_fixture_zone(zone).root)


def _zone(fixture_root: Path, root: Path) -> RawZone:
    shutil.copytree(fixture_root, root)
    return RawZone(UPath(root))


def _results(zone: RawZone) -> dict:
    results = orjson.loads((zone.reports_dir(DAY) / "data_quality_report.json").read_bytes())
    return {k: v for k, v in results.items() if k not in VARYING}


@pytest.fixture(scope="module")
def reference(tmp_path_factory, fixture_root) -> dict:
    zone = _zone(fixture_root, tmp_path_factory.mktemp("reference") / "raw_zone")
    write_quality_report(zone, DAY)
    return _results(zone)


@pytest.mark.parametrize("step", STEPS)
def test_a_report_killed_at_each_step_is_completed_by_the_rerun(tmp_path, fixture_root, reference, step):
    zone = _zone(fixture_root, tmp_path / "raw_zone")
    env = child_environ(Settings.from_env({"RECOMART_RAW_ZONE": str(zone.root)}))
    killed = run_killed_at(REPORT, env, step)
    assert killed.killed, killed.stderr[-2000:]
    assert verify_tree(zone.root).ok  # whole files only, each under its manifest
    write_quality_report(zone, DAY)  # the rerun (in this process: the same function, without a start-up)
    assert _results(zone) == reference
    for written in ("data_quality_report.pdf", "data_quality_report.html", "../index.html"):
        assert read_manifest(zone.reports_dir(DAY) / written) is not None, written
    assert f'href="{DAY}/data_quality_report.html"' in (zone.root / "reports" / "index.html").read_text()
    assert_invariants(Path(zone.root))


def test_a_full_disk_fails_clearly_publishes_nothing_half_written_and_the_rerun_completes(tmp_path, fixture_root,
                                                                                         reference):
    with small_disk(tmp_path, 8 << 20) as disk:
        zone = _zone(fixture_root, disk / "raw_zone")
        filler = fill(disk, leave_bytes=4096)
        with pytest.raises(OSError, match="No space left on device"):
            write_quality_report(zone, DAY)
        reports = Path(zone.reports_dir(DAY))
        published = [p.name for p in reports.glob("data_quality_report.*")] if reports.exists() else []
        assert all((reports / f"{name}.manifest").exists() for name in published if not name.endswith(".manifest"))
        assert_invariants(Path(zone.root))
        filler.unlink()
        write_quality_report(zone, DAY)
        assert _results(zone) == reference
        assert_invariants(Path(zone.root))
    shutil.rmtree(tmp_path, ignore_errors=True)
