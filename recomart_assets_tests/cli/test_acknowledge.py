"""``recomart acknowledge``: records an acknowledgement in the raw zone, lists them, refuses bad input."""

from __future__ import annotations

from click.testing import CliRunner

from recomart_assets.cli import main
from recomart_assets.lake import RawZone
from recomart_assets.quality.changes.acknowledgements import (
    Acknowledgement,
    read_acknowledgements,
    write_acknowledgement,
)


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


def test_a_newline_cannot_forge_lines_in_the_list(tmp_path):
    forged = "ana\n0123456789ab  clickstream  *  until 2099-01-01  by root: everything is fine"
    refused = run(tmp_path, "clickstream", "row_count", "--by", forged, "--why", "x", "--until", "2026-03-20")
    assert refused.exit_code == 1 and "--by must be one line" in refused.output
    assert "\n0123456789ab" not in refused.output  # the refusal quotes the argument escaped
    # One stored by an older version (or by hand) is listed on one line, its control characters escaped.
    zone = RawZone.at(tmp_path / "raw_zone")
    zone.create_tree()
    write_acknowledgement(zone, Acknowledgement("clickstream", "row_count", forged, "why\x1b[2J", "2026-03-20",
                                                created_at="2026-03-01T00:00Z"))
    listed = run(tmp_path, "--list")
    assert listed.exit_code == 0
    assert len(listed.output.splitlines()) == 1
    assert "by ana\\n0123456789ab" in listed.output and "why\\x1b[2J" in listed.output


def test_all_metrics_needs_its_flag(tmp_path):
    args = ["clickstream", "*", "--by", "ana", "--why", "migration", "--until", "2026-03-20"]
    refused = run(tmp_path, *args)
    assert refused.exit_code == 1 and "--all-metrics" in refused.output
    accepted = run(tmp_path, *args, "--all-metrics")
    assert accepted.exit_code == 0, accepted.output
    assert "silences every metric and check of clickstream" in accepted.output
    assert "ALL METRICS" in run(tmp_path, "--list").output
