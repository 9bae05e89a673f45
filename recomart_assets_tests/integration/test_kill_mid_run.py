"""Killing a Dagster run process mid-write (SIGKILL to its process group) and running the same work
again leaves the raw zone consistent: ``recomart verify`` passes, and every data file is exactly
what an uninterrupted run writes (same files, bytes and record counts; nothing lost or doubled).

Each case starts a real ``dagster`` CLI run on a temporary raw zone and ``DAGSTER_HOME``, waits for
a moment of its writing (seen in the raw zone), kills it there, and re-runs it on the same instance,
which still holds the killed run as started.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus

from recomart_assets.config import Settings, child_environ
from recomart_assets.lake import Manifest, RawZone, intake
from recomart_assets.lake.atomic import TEMP_PREFIX
from recomart_assets.lake.manifest import MANIFEST_SUFFIX
from recomart_assets.lake.verify import SKIPPED_FOLDERS
from recomart_assets.platform.dev import CODE_LOCATION_MODULE
from recomart_assets.platform.instance import ensure_dagster_home
from recomart_assets.platform.waiting import wait_until
from recomart_assets.simulate.master import write_master_exports
from recomart_assets.simulate.transactions import write_transaction_drops
from recomart_assets.sources.master_exports import ingest_master
from recomart_assets.sources.transactions import LANDING

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

DAY = "2026-03-04"
# Big enough that each run writes for a second or more (the moments below must fall inside it).
N_PRODUCTS, N_CUSTOMERS = 60_000, 150_000
TRANSACTION_ROWS = 200_000
RUN_TIMEOUT = 120.0
POLL_SECONDS = 0.002
BIN = Path(sys.executable).parent

Snapshot = dict[str, tuple[str, int]]  # data file relative to the raw zone -> (md5, record count)
Moment = Callable[[Path], bool]  # true once the run being watched reached the moment to kill it


def raw_files(root: Path) -> Iterator[Path]:
    """Every file under the raw zone outside the folders ``verify`` skips."""
    for folder, dirs, files in os.walk(root):
        if Path(folder) == root:
            dirs[:] = [d for d in dirs if d not in SKIPPED_FOLDERS]
        yield from (Path(folder) / name for name in files)


def snapshot(root: Path) -> Snapshot:
    """What the manifests under the raw zone describe, quality output aside.

    The runs' asset checks write metric states under ``reports/`` (derived and timestamped, not
    raw data, so not byte-comparable between runs); ``recomart verify`` still checks them.
    """
    found = {}
    for path in raw_files(root):
        if path.name.endswith(MANIFEST_SUFFIX) and path.relative_to(root).parts[0] != "reports":
            manifest = Manifest.from_json(path.read_bytes())
            found[str(path.relative_to(root))[: -len(MANIFEST_SUFFIX)]] = (manifest.md5, manifest.record_count)
    return found


def temp_files(root: Path, min_bytes: int = 0) -> list[Path]:
    return [p for p in raw_files(root) if p.name.startswith(TEMP_PREFIX) and p.stat().st_size >= min_bytes]


@dataclass(frozen=True)
class Workload:
    """One piece of Dagster work, its inputs, and what an uninterrupted run leaves in the raw zone."""

    name: str
    argv: list[str]
    prepare: Callable[[Settings], None]  # put the inputs in place for a fresh raw zone
    expected: Snapshot


def _run_settings(root: Path, master_exports: Path) -> Settings:
    return Settings.from_env({
        "RECOMART_RAW_ZONE": str(root / "raw_zone"),
        "RECOMART_MASTER_EXPORTS": str(master_exports),
        "DAGSTER_HOME": str(root / "dagster_home"),
    })


@pytest.fixture(scope="module")
def master_exports(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("master_exports")
    write_master_exports(Settings.from_env({"RECOMART_MASTER_EXPORTS": str(folder)}), n_products=N_PRODUCTS,
                         n_customers=N_CUSTOMERS)
    return folder


@pytest.fixture(scope="module")
def master_workload(tmp_path_factory, master_exports) -> Workload:
    """Materialize both master-data assets for DAY (one run, two steps)."""
    reference = _run_settings(tmp_path_factory.mktemp("master_reference"), master_exports)
    ingest_master(reference, DAY)  # the same writer as the assets
    argv = [str(BIN / "dagster"), "asset", "materialize", "-m", CODE_LOCATION_MODULE,
            "--select", "product_catalog,customers", "--partition", DAY]
    return Workload("master", argv, lambda settings: None, snapshot(Path(reference.raw_zone)))


@pytest.fixture(scope="module")
def transactions_workload(tmp_path_factory, master_exports) -> Workload:
    """Ingest one big landing file (several days, some rejected rows) with the landing sensor's job."""
    source = _run_settings(tmp_path_factory.mktemp("transactions_source"), master_exports)
    drop = write_transaction_drops(source, files=1, rows_per_file=TRANSACTION_ROWS, dirty_rate=0.01)
    name = drop.files[0]
    landing_file = RawZone.from_settings(source).landing / name

    def prepare(settings: Settings) -> None:
        zone = RawZone.from_settings(settings)
        zone.create_tree()
        shutil.copy2(landing_file.path, (zone.landing / name).path)

    reference = _run_settings(tmp_path_factory.mktemp("transactions_reference"), master_exports)
    prepare(reference)
    assert intake.ingest_file(LANDING, RawZone.from_settings(reference), name).status == "ingested"
    run_config = tmp_path_factory.mktemp("run_config") / "run.yaml"
    run_config.write_text(f"ops:\n  transactions:\n    config:\n      landing_file: {name}\n", encoding="utf-8")
    argv = [str(BIN / "dagster"), "job", "execute", "-m", CODE_LOCATION_MODULE,
            "-j", "transactions_landing_job", "-c", str(run_config)]
    return Workload("transactions", argv, prepare, snapshot(Path(reference.raw_zone)))


def _start(workload: Workload, settings: Settings, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(workload.argv, stdout=out, stderr=subprocess.STDOUT, env=child_environ(settings),
                                start_new_session=True)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(RUN_TIMEOUT)


def kill_at(workload: Workload, settings: Settings, moment: Moment, log: Path) -> None:
    """Run the workload and SIGKILL its process group as soon as ``moment`` holds in the raw zone."""
    root = Path(settings.raw_zone)
    process = _start(workload, settings, log)

    def reached() -> bool:
        if moment(root):
            return True
        assert process.poll() is None, f"the run ended (code {process.returncode}) before the moment; see {log}"
        return False

    try:
        wait_until(reached, RUN_TIMEOUT, interval=POLL_SECONDS, message=f"the moment to kill the run; see {log}")
    finally:
        _kill_group(process)
    assert process.returncode == -signal.SIGKILL, f"the run was not killed mid-run: code {process.returncode}"


def run_to_completion(workload: Workload, settings: Settings, log: Path) -> None:
    process = _start(workload, settings, log)
    try:
        code = process.wait(RUN_TIMEOUT)
    finally:
        _kill_group(process)
    assert code == 0, f"the re-run failed; see {log}:\n{log.read_text()[-3000:]}"


def recomart_verify(settings: Settings) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "recomart"), "verify"], env=child_environ(settings), capture_output=True,
                          text=True, timeout=RUN_TIMEOUT, check=False)


def while_writing(folder: str, min_bytes: int = 0) -> Moment:
    """A temporary file of at least ``min_bytes`` is being written under ``folder`` of the raw zone."""
    return lambda root: bool(temp_files(root / folder, min_bytes))


def first_snapshot_done(root: Path) -> bool:
    """One master snapshot is complete (manifest written), the other is not."""
    done = [(root / folder / DAY / f"{dataset}_{DAY}.csv{MANIFEST_SUFFIX}").exists()
            for folder, dataset in (("catalog", "product_catalog"), ("customers", "customers"))]
    return any(done) and not all(done)


CASES = {
    # the split has just opened its partition files
    "transactions-split-starts": ("transactions_workload", while_writing("transactions")),
    # the split is well under way (partition files hold over a megabyte)
    "transactions-split-halfway": ("transactions_workload", while_writing("transactions", 1_000_000)),
    # one partition snapshot is complete; its latest copy and the other asset are not yet
    "master-first-snapshot-done": ("master_workload", first_snapshot_done),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_killed_run_then_a_rerun_leaves_the_raw_zone_consistent(case, request, tmp_path):
    fixture, moment = CASES[case]
    workload: Workload = request.getfixturevalue(fixture)
    settings = _run_settings(tmp_path, request.getfixturevalue("master_exports"))
    ensure_dagster_home(settings)
    workload.prepare(settings)
    log = tmp_path / "runs.log"

    kill_at(workload, settings, moment, log)
    assert snapshot(Path(settings.raw_zone)) != workload.expected, "the kill came too late to interrupt anything"
    run_to_completion(workload, settings, log)

    result = recomart_verify(settings)
    assert result.returncode == 0, result.stdout + result.stderr
    assert snapshot(Path(settings.raw_zone)) == workload.expected
    # the restarted instance still shows the killed run as started (nothing marked it failed), beside the re-run
    statuses = sorted(run.status.value for run in DagsterInstance.from_config(settings.dagster_home).get_runs())
    assert statuses == sorted([DagsterRunStatus.STARTED.value, DagsterRunStatus.SUCCESS.value])
