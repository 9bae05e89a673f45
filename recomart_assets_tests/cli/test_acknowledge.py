"""``recomart acknowledge``: records an acknowledgement in the raw zone, lists them, refuses bad input."""

from __future__ import annotations

from click.testing import CliRunner

from recomart_assets.cli import main
from recomart_assets.lake import RawZone
from recomart_assets.quality.acknowledgements import read_acknowledgements


def run(tmp_path, *args):
    return CliRunner().invoke(main, ["acknowledge", *args], env={"RECOMART_RAW_ZONE": str(tmp_path / "raw_zone")})


def test_acknowledge_writes_one_file_and_lists_it(tmp_path):
    result = run(tmp_path, "clickstream", "volume:device=android", "--by", "ana", "--why", "release 7.4 bug",
                 "--until", "2026-03-20")
    assert result.exit_code == 0, result.output
    (ack,) = read_acknowledgements(RawZone.at(tmp_path / "raw_zone"))
    assert (ack.dataset, ack.metric, ack.by, ack.until, ack.since) == (
        "clickstream", "volume:device=android", "ana", "2026-03-20", None)
    assert f"acknowledged volume:device=android of clickstream until 2026-03-20 ({ack.id})" in result.output
    listed = run(tmp_path, "--list")
    assert listed.exit_code == 0 and f"{ack.id}  clickstream  volume:device=android  until 2026-03-20  by ana" in listed.output


def test_missing_options_and_unknown_datasets_fail_clearly(tmp_path):
    result = run(tmp_path, "clickstream", "row_count", "--by", "ana")
    assert result.exit_code == 2 and "missing --why, --until" in result.output
    result = run(tmp_path, "clicks", "row_count", "--by", "ana", "--why", "x", "--until", "2026-03-20")
    assert result.exit_code == 1 and "Error: unknown dataset 'clicks'" in result.output
