"""``recomart ingest-master`` killed (SIGKILL) at each step of its protocol, then run again: every
file old or new at the kill, and after the rerun exactly what an uninterrupted sync writes (each
export record once in the day's snapshot and the latest copy), ``verify`` clean, no temporary file.

The zone already holds a sync of older exports for the same day, so a kill between two steps
leaves a mix of old and new files: the state a rerun must repair.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from recomart_assets.config import Settings, child_environ
from recomart_assets.lake import Manifest, verify_tree
from recomart_assets.lake.manifest import MANIFEST_SUFFIX
from recomart_assets.simulate.master import write_master_exports
from recomart_assets_tests.fixtures.crash import assert_invariants, run, run_killed_at, soak_only

pytestmark = pytest.mark.integration

DAY = "2026-03-04"
PRODUCTS, CUSTOMERS = 300, 500
SYNC = [str(Path(sys.executable).parent / "recomart"), "ingest-master", "--date", DAY]
# (step, nth): catalog then customers, snapshot then latest copy; the middle two with RECOMART_SOAK=1
KILLS = [pytest.param("master.snapshot-written", 1, id="catalog snapshot"),
         pytest.param("master.latest-written", 1, id="catalog latest", marks=soak_only),
         pytest.param("master.snapshot-written", 2, id="customers snapshot", marks=soak_only),
         pytest.param("master.latest-written", 2, id="customers latest"),
         # the catalog snapshot's bytes durable in a temporary file, not yet renamed: the rerun removes it
         pytest.param("atomic.temp-durable", 1, id="catalog snapshot in a temporary file")]


def _environ(tmp_path: Path, name: str, seed: int) -> dict[str, str]:
    settings = Settings.from_env({"RECOMART_RAW_ZONE": str(tmp_path / name / "raw_zone"),
                                  "RECOMART_MASTER_EXPORTS": str(tmp_path / name / "exports")})
    write_master_exports(settings, seed=seed, n_products=PRODUCTS, n_customers=CUSTOMERS)
    return child_environ(settings)


def _files(root: Path) -> dict[str, tuple[str, int]]:
    """Every data file with a manifest: (md5, records)."""
    return {str(path.relative_to(root))[: -len(MANIFEST_SUFFIX)]: (m.md5, m.record_count)
            for path in root.rglob(f"*{MANIFEST_SUFFIX}") for m in [Manifest.from_json(path.read_bytes())]}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, tuple[str, int]]:
    """An uninterrupted sync of the new exports (seed 2) over a zone holding the old ones (seed 1)."""
    tmp_path = tmp_path_factory.mktemp("reference")
    old = _environ(tmp_path, "zone", seed=1)
    assert run(SYNC, old).returncode == 0
    new = _environ(tmp_path, "zone", seed=2)
    assert run(SYNC, new).returncode == 0
    return _files(Path(new["RECOMART_RAW_ZONE"]))


@pytest.mark.parametrize(("step", "nth"), KILLS)
def test_a_sync_killed_at_each_step_is_completed_by_the_next(tmp_path, reference, step, nth):
    assert run(SYNC, _environ(tmp_path, "zone", seed=1)).returncode == 0
    env = _environ(tmp_path, "zone", seed=2)
    root = Path(env["RECOMART_RAW_ZONE"])
    killed = run_killed_at(SYNC, env, step, nth)
    assert killed.killed, killed.stderr[-2000:]
    # At the kill every file is whole: old or new, each under its own manifest.
    assert verify_tree(root).ok
    rerun = run(SYNC, env)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    files = _files(root)
    assert files == reference
    counted = sum(records for name, (_, records) in files.items() if name.startswith(("catalog/", "customers/")))
    assert_invariants(root, expected_records=PRODUCTS + CUSTOMERS, counted_records=counted)
