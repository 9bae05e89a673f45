"""``recomart verify``: lists every problem and exits 1 on any, 0 on a sound tree."""

from __future__ import annotations

from click.testing import CliRunner

from recomart_assets.cli.verify import command
from recomart_assets.lake.manifest import write_data_file


def test_a_sound_tree_then_a_corrupt_one(zone):
    path = zone.root / "catalog" / "2026-01-05" / "a.csv"
    write_data_file(path, b"a\n1\n", dataset="product_catalog", partition="2026-01-05", record_count=1, fmt="csv",
                    source={"kind": "manual"})
    env = {"RECOMART_RAW_ZONE": str(zone.root.path)}
    result = CliRunner().invoke(command, [], env=env)
    assert result.exit_code == 0 and "verified 1 data files" in result.output and "0 problem(s)" in result.output
    path.write_bytes(b"a\n2\n")
    result = CliRunner().invoke(command, [str(zone.root.path)], env=env)
    assert result.exit_code == 1 and "a.csv" in result.output and "1 problem(s)" in result.output


def test_a_missing_path_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(command, [str(tmp_path / "nowhere")], env={"RECOMART_RAW_ZONE": str(tmp_path)})
    assert result.exit_code == 1 and "Error" in result.output
