"""``verify`` names each kind of damage: flipped byte, truncation, missing manifest, wrong count."""

import json

from click.testing import CliRunner

from recomart_assets.cli import main
from recomart_assets.lake import RawZone, manifest_path, verify_tree, write_data_file

CSV = b"id,v\n1,a\n2,b\n3,c\n"


def _populate(zone: RawZone):
    folder = zone.partition_dir("transactions", "2026-11-02")
    paths = {}
    for name in ("flip", "trunc", "count", "ok"):
        paths[name] = folder / f"{name}.csv"
        write_data_file(paths[name], CSV, dataset="transactions", partition="2026-11-02", record_count=3,
                        fmt="csv", source={})
    return folder, paths


def test_clean_zone_passes(zone: RawZone):
    _populate(zone)
    (zone.landing / "incoming.csv").write_bytes(b"not checked: inputs have no manifest")
    result = verify_tree(zone.root)
    assert result.ok and result.checked == 4


def test_each_problem_is_named(zone: RawZone):
    folder, paths = _populate(zone)
    data = bytearray(paths["flip"].read_bytes())
    data[7] ^= 0x01
    paths["flip"].write_bytes(bytes(data))
    paths["trunc"].write_bytes(CSV[:-4])
    manifest = json.loads(manifest_path(paths["count"]).read_bytes())
    manifest["record_count"] = 4
    manifest_path(paths["count"]).write_text(json.dumps(manifest))
    (folder / "stray.csv").write_bytes(CSV)
    manifest_path(folder / "gone.csv").write_text(manifest_path(paths["ok"]).read_text())

    kinds = {(p.kind, p.path.rsplit("/", 1)[-1]) for p in verify_tree(zone.root).problems}
    assert kinds == {
        ("md5", "flip.csv"),
        ("size", "trunc.csv"),
        ("record-count", "count.csv"),
        ("missing-manifest", "stray.csv"),
        ("orphan-manifest", "gone.csv.manifest"),
    }


def test_cli_exit_codes(zone: RawZone):
    folder, paths = _populate(zone)
    runner = CliRunner()
    env = {"RECOMART_RAW_ZONE": str(zone.root)}
    ok = runner.invoke(main, ["verify"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "4 data files" in ok.output
    paths["ok"].write_bytes(CSV + b"4,d\n")
    bad = runner.invoke(main, ["verify", str(folder)], env=env)
    assert bad.exit_code == 1
    assert "ok.csv" in bad.output and "size" in bad.output


def test_temporary_leftovers_of_a_killed_writer_are_not_problems(zone: RawZone):
    folder, paths = _populate(zone)
    (folder / ".tmp-0123abcd-ok.csv").write_bytes(CSV[:5])
    (folder / ".tmp-4567ef01-ok.csv.manifest").write_bytes(b"{")
    assert verify_tree(zone.root).ok
