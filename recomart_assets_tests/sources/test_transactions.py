"""Transaction files through the landing intake engine: split by UTC day, archive, quarantine, exactly once."""

from __future__ import annotations

import io
import json
import os

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from upath import UPath

from recomart_assets.lake import RawZone, count_records, intake, read_manifest, verify_tree
from recomart_assets.lake.intake import identity, split
from recomart_assets.lake.records import iter_csv_records
from recomart_assets.simulate.transactions import write_transaction_drops
from recomart_assets.sources.transactions import LANDING, partition_file_name
from recomart_assets_tests.fixtures.landing import HEADER, csv_text, drop, partition_records, quarantined_rows, row

SPANNING = [
    row(1, "2026-03-01T10:00:00Z"),
    row(2, "2026-03-02T01:00:00+05:30"),  # local date 03-02, UTC date 03-01
    row(3, "2026-03-02T23:30:00-02:00"),  # UTC date 03-03
    row(4, "2026-03-03 08:00:00"),  # naive: UTC
    row(5, "2026-03-04T12:00:00.250Z"),
]


def run_pass(zone, **options) -> intake.PassResult:
    return intake.run_pass(LANDING, zone, **options)


def only_outcome(result: intake.PassResult) -> intake.FileOutcome:
    assert len(result.outcomes) == 1, result.outcomes
    return result.outcomes[0]


def test_file_spanning_several_days(zone, small_chunks):
    drop(zone, "orders.csv", csv_text(SPANNING * 20))
    outcome = only_outcome(run_pass(zone))
    assert outcome.status == "ingested"
    assert outcome.partitions == {"2026-03-01": 40, "2026-03-03": 40, "2026-03-04": 20}
    assert partition_records(zone) == outcome.partitions
    day = zone.partition_dir("transactions", "2026-03-03") / partition_file_name(outcome.sha256)
    manifest = read_manifest(day)
    assert manifest.source.landing_file == "orders.csv"
    assert manifest.source.sha256 == outcome.sha256
    assert manifest.source.lines == [4, 100]  # physical lines, header = 1
    assert day.read_text().splitlines()[:2] == [HEADER, SPANNING[2]]  # lines as received
    assert not (zone.landing / "orders.csv").exists()
    archived = zone.root / outcome.stored_as
    assert archived.read_text() == csv_text(SPANNING * 20)
    assert read_manifest(archived).record_count == 100
    assert verify_tree(zone.root).ok


def test_simulated_drops_conserve_every_line(zone, settings):
    report = write_transaction_drops(settings, days=4, files=3, rows_per_file=400, dirty_rate=0.02)
    result = run_pass(zone, settle_seconds=0)
    assert result.count("ingested") == 3 and result.count("quarantined") == 2  # extra / missing column files
    placed = sum(partition_records(zone).values())
    rejected = quarantined_rows(zone)
    assert placed + len(rejected) == report.lines
    reasons = pd.Series([r["reason"] for r in rejected])
    expected_rejects = report.defects["unparseable_timestamp"] + report.defects["malformed_lines"]
    assert len(rejected) == expected_rejects
    assert reasons.str.startswith("malformed line").sum() == report.defects["malformed_lines"]
    assert verify_tree(zone.root).ok


def test_rows_without_a_usable_timestamp_go_to_quarantine_with_a_reason(zone):
    rows = [row(1, "2026-03-01T10:00:00Z"), row(2, "not-a-date"), row(3, ""), row(4, "2025-12-31T10:00:00Z"),
            row(5, "2099-01-01T00:00:00Z"), "T6,C000001,P000001", 'T7,"C1,P1,1,9.99,5,2026-03-01T00:00:00Z']
    drop(zone, "mixed.csv", csv_text(rows))
    outcome = only_outcome(run_pass(zone))
    assert outcome.partitions == {"2026-03-01": 1} and outcome.rejected_rows == 6
    rejected = {int(r["line"]): r for r in quarantined_rows(zone)}
    # The placement helper's wordings (lake/placing.py), the same for every source.
    assert rejected[3]["reason"] == "unparseable timestamp: 'not-a-date'" and rejected[3]["record"] == rows[1]
    assert rejected[4]["reason"] == "missing timestamp"
    assert "before the first partition" in rejected[5]["reason"]
    assert "later than now + the allowed clock skew" in rejected[6]["reason"]
    assert rejected[7]["reason"] == "malformed line: expected 7 fields, found 3"
    assert rejected[8]["reason"].startswith("malformed line")
    assert verify_tree(zone.root).ok


def test_quality_problems_stay_in_the_raw_data(zone):
    rows = [row(1, "2026-03-01T10:00:00Z", rating="7"), "T2,,P000001,1,19.99,,2026-03-01T11:00:00Z"]
    drop(zone, "quality.csv", csv_text(rows + rows[:1]))
    outcome = only_outcome(run_pass(zone))
    assert outcome.partitions == {"2026-03-01": 3} and outcome.rejected_rows == 0


WHOLE_FILE_FAULTS = {
    "not_a_csv": ("report.csv", b'{"transactions": [1, 2, 3]}\n', "not a CSV"),
    "binary": ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV: binary content"),
    "undecodable": ("latin1.csv", (HEADER + "\nT1,C1,P1,1,9.99,,2026-03-01T00:00:00Z caf\xe9\n").encode("latin-1"),
                    "undecodable bytes"),
    "empty": ("empty.csv", b"", "empty file"),
    "missing_column": ("short.csv", HEADER.replace(",quantity", "") + "\nT1,C1,P1,9.99,,2026-03-01T00:00:00Z\n",
                       "missing required column(s): quantity"),
    "extra_column": ("long.csv", HEADER + ",coupon\nT1,C1,P1,1,9.99,,2026-03-01T00:00:00Z,X\n",
                     "unknown extra column(s): coupon"),
}


@pytest.mark.parametrize("case", sorted(WHOLE_FILE_FAULTS))
def test_whole_file_fault_is_quarantined_and_others_still_ingested(zone, case):
    name, content, reason = WHOLE_FILE_FAULTS[case]
    drop(zone, name, content)
    drop(zone, "good.csv", csv_text([row(1, "2026-03-01T10:00:00Z")]))
    result = run_pass(zone)
    by_name = {o.name: o for o in result.outcomes}
    assert by_name["good.csv"].status == "ingested"
    bad = by_name[name]
    assert bad.status == "quarantined" and reason in bad.reason
    stored = zone.root / bad.stored_as
    assert stored.parent.parent.name == "transactions" and stored.parent.parent.parent.name == "quarantine"
    assert stored.read_bytes() == (content.encode() if isinstance(content, str) else content)
    details = json.loads(stored.with_name(stored.name + ".reason.json").read_text())
    assert reason in details["reason"] and details["name"] == name
    assert os.listdir(zone.landing.path) == ["clickstream"]
    assert verify_tree(zone.root).ok
    assert partition_records(zone) == {"2026-03-01": 1}


def test_symlink_is_refused_and_never_followed(zone, tmp_path):
    secret = tmp_path / "outside.csv"
    secret.write_text(csv_text([row(1, "2026-03-01T10:00:00Z")]))
    os.symlink(secret, os.path.join(zone.landing.path, "link.csv"))
    drop(zone, "good.csv", csv_text([row(2, "2026-03-02T10:00:00Z")]))
    result = run_pass(zone)
    by_name = {o.name: o for o in result.outcomes}
    assert by_name["link.csv"].status == "refused" and "symbolic link" in by_name["link.csv"].reason
    assert by_name["good.csv"].status == "ingested"
    assert secret.exists() and not os.path.lexists(os.path.join(zone.landing.path, "link.csv"))
    details = json.loads((zone.root / by_name["link.csv"].stored_as).read_text())
    assert details["link_target"] == str(secret)
    assert partition_records(zone) == {"2026-03-02": 1}
    assert verify_tree(zone.root).ok


@pytest.mark.parametrize("name", ["../outside.csv", "/etc/passwd", "sub/../../x.csv", ".."])
def test_name_escaping_the_landing_folder_is_refused(zone, tmp_path, name):
    outside = tmp_path / "outside.csv"
    outside.write_text(csv_text([row(1, "2026-03-01T10:00:00Z")]))
    outcome = intake.ingest_file(LANDING, zone, name)
    assert outcome.status == "refused" and "escapes the landing folder" in outcome.reason
    assert outside.exists()
    assert (zone.root / outcome.stored_as).exists()
    assert partition_records(zone) == {}
    assert verify_tree(zone.root).ok


def test_incomplete_and_hidden_files_are_left_alone(zone):
    content = csv_text([row(1, "2026-03-01T10:00:00Z")])
    for name in ("upload.csv.tmp", "upload.csv.part", ".hidden.csv"):
        drop(zone, name, content)
    drop(zone, "growing.csv", content, age=0)
    result = run_pass(zone, settle_seconds=30)
    assert result.outcomes == [] and result.waiting == ["growing.csv"]
    assert sorted(os.listdir(zone.landing.path)) == [".hidden.csv", "clickstream", "growing.csv",
                                                     "upload.csv.part", "upload.csv.tmp"]


def test_same_file_twice_under_two_names(zone):
    content = csv_text(SPANNING)
    drop(zone, "first.csv", content)
    drop(zone, "second.csv", content)
    result = run_pass(zone)
    statuses = {o.name: o.status for o in result.outcomes}
    assert statuses == {"first.csv": "ingested", "second.csv": "duplicate"}
    assert partition_records(zone) == {"2026-03-01": 2, "2026-03-03": 2, "2026-03-04": 1}
    drop(zone, "third.csv", content)  # and once more, later
    assert only_outcome(run_pass(zone)).status == "duplicate"
    assert partition_records(zone) == {"2026-03-01": 2, "2026-03-03": 2, "2026-03-04": 1}
    assert len(list((zone.archive_dir("transactions") / "duplicates").glob("*/*.csv"))) == 2
    assert verify_tree(zone.root).ok


# ------------------------------------------------------------------------------- file names


@pytest.mark.parametrize("name", ["Orders Nov 20.csv", "Bestellungen_München.csv", "orders; rm -rf $HOME.csv",
                                  "注文 2026-03-01.csv", "-rf.csv", "orders.xlsx", "no extension",
                                  "é" * 120 + ".csv"])
def test_any_name_the_filesystem_allows_is_ingested(zone, name):
    content = csv_text([row(1, "2026-03-01T10:00:00Z"), row(2, "2026-03-02T10:00:00Z")])
    drop(zone, name, content)
    outcome = only_outcome(run_pass(zone))
    assert outcome.status == "ingested" and outcome.partitions == {"2026-03-01": 1, "2026-03-02": 1}
    archived = zone.root / outcome.stored_as
    assert archived.read_text() == content and len(archived.name.encode()) < 200
    assert read_manifest(archived).source.landing_file == name  # lineage keeps the name as received
    day = zone.partition_dir("transactions", "2026-03-01") / partition_file_name(outcome.sha256)
    assert read_manifest(day).source.landing_file == name
    assert os.listdir(zone.landing.path) == ["clickstream"]
    assert verify_tree(zone.root).ok


def test_names_with_control_characters_are_refused_and_the_content_kept(zone):
    content = csv_text([row(1, "2026-03-01T10:00:00Z")])
    bad = ["tab\there.csv", "new\nline.csv", "bell\x07.csv", "sep\u2028arated.csv"]
    for name in bad:
        drop(zone, name, content.replace("T00001", f"T{len(name):05d}"))
    with open(os.fsencode(zone.landing.path) + b"/latin1-n\xe4me.csv", "wb") as handle:  # not UTF-8 bytes
        handle.write(content.encode())
    os.utime(os.fsencode(zone.landing.path) + b"/latin1-n\xe4me.csv", (0, 0))
    drop(zone, "good.csv", csv_text([row(9, "2026-03-02T10:00:00Z")]))
    result = run_pass(zone)
    by_name = {o.name: o for o in result.outcomes}
    assert by_name.pop("good.csv").status == "ingested"
    assert len(by_name) == 5 and all(o.status == "refused" for o in by_name.values())
    assert "control character U+0009" in by_name["tab\there.csv"].reason
    assert "line separator U+2028" in by_name["sep\u2028arated.csv"].reason
    assert "byte that is not UTF-8" in by_name[os.fsdecode(b"latin1-n\xe4me.csv")].reason
    for outcome in by_name.values():
        details = json.loads((zone.root / outcome.stored_as).read_text())
        kept = zone.root / outcome.stored_as.removesuffix(".reason.json")
        assert details["reason"] == outcome.reason and read_manifest(kept).sha256 == details["sha256"]
    assert os.listdir(zone.landing.path) == ["clickstream"]
    assert partition_records(zone) == {"2026-03-02": 1}
    drop(zone, "fixed.csv", content)  # the same bytes under an acceptable name: ingested, not a "duplicate"
    assert only_outcome(run_pass(zone)).status == "ingested"
    assert verify_tree(zone.root).ok


# ------------------------------------------------------------------------------ CSV records


def test_quoted_commas_quotes_and_newlines_stay_in_their_record(zone, small_chunks):
    quoted = [
        'T1,C000001,"P1,with comma",1,19.99,4,2026-03-01T10:00:00Z',
        'T2,C000002,"P2 ""quoted""",1,19.99,4,2026-03-01T11:00:00Z',
        'T3,C000003,"P3\nover two lines",1,19.99,4,2026-03-01T12:00:00Z',
        'T4,C000004,"P4\r\nwith CRLF inside",1,19.99,4,2026-03-02T12:00:00Z',
        'T5,"C5""broken"x,P5,1,19.99,4,2026-03-01T13:00:00Z',  # broken quoting: rejected, alone
        row(6, "2026-03-01T14:00:00Z"),
    ] * 7
    content = "".join(line + "\r\n" for line in [HEADER, *quoted])  # CRLF line ends, as Excel writes them
    drop(zone, "quoted.csv", content)
    outcome = only_outcome(run_pass(zone))
    assert outcome.partitions == {"2026-03-01": 28, "2026-03-02": 7} and outcome.rejected_rows == 7
    assert read_manifest(zone.root / outcome.stored_as).record_count == 42  # = placed + rejected
    frame = pd.concat(
        pd.read_csv(path, dtype=str) for path in zone.root.glob("transactions/*/ingested_*.csv")
    )
    assert set(frame["product_id"]) >= {"P1,with comma", 'P2 "quoted"', "P3\nover two lines", "P4\r\nwith CRLF inside"}
    [reason] = {r["reason"] for r in quarantined_rows(zone)}
    assert reason.startswith("malformed line: ") and "',' expected after '\"'" in reason
    assert {r["record"] for r in quarantined_rows(zone)} == {quoted[4]}
    assert verify_tree(zone.root).ok


def test_a_field_of_a_megabyte_is_no_problem(zone):
    huge = "x" * (1 << 20)
    rows = [f'T1,C000001,"{huge}\n{huge}",1,19.99,4,2026-03-01T10:00:00Z', f"T2,C000002,{huge},1,19.99,,2026-03-01T11:00:00Z",
            row(3, "2026-03-01T12:00:00Z")]
    drop(zone, "huge.csv", csv_text(rows))
    drop(zone, "good.csv", csv_text([row(4, "2026-03-02T10:00:00Z")]))
    outcomes = {o.name: o for o in run_pass(zone).outcomes}
    assert outcomes["huge.csv"].partitions == {"2026-03-01": 3} and outcomes["good.csv"].status == "ingested"
    assert partition_records(zone) == {"2026-03-01": 3, "2026-03-02": 1}
    assert verify_tree(zone.root).ok


def test_a_quote_never_closed_is_one_rejected_record_and_the_rest_proceeds(zone):
    rows = [row(1, "2026-03-01T10:00:00Z"), 'T2,C000002,"P2,1,19.99,4,2026-03-01T11:00:00Z', row(3, "2026-03-01T12:00:00Z")]
    drop(zone, "truncated.csv", csv_text(rows))
    drop(zone, "good.csv", csv_text([row(4, "2026-03-02T10:00:00Z")]))
    outcomes = {o.name: o for o in run_pass(zone).outcomes}
    truncated = outcomes["truncated.csv"]
    assert truncated.partitions == {"2026-03-01": 1} and truncated.rejected_rows == 1
    [rejected] = quarantined_rows(zone)
    assert rejected["line"] == "3" and rejected["record"] == "\n".join(rows[1:])  # the rest of the file
    assert rejected["reason"] == "malformed line: quoted field not closed before the end of the file"
    assert read_manifest(zone.root / truncated.stored_as).record_count == 2
    assert outcomes["good.csv"].status == "ingested"
    assert verify_tree(zone.root).ok


def test_bom_crlf_lone_cr_and_blank_lines(zone):
    content = ("\ufeff" + HEADER + "\r\n" + row(1, "2026-03-01T10:00:00Z") + "\r\n\r\n"
               + row(2, "2026-03-01T11:00:00Z") + "\r" + row(3, "2026-03-01T12:00:00Z") + "\n\n")
    drop(zone, "windows.csv", content.encode())
    outcome = only_outcome(run_pass(zone))
    assert outcome.partitions == {"2026-03-01": 3} and outcome.rejected_rows == 0
    assert read_manifest(zone.root / outcome.stored_as).record_count == 3
    assert verify_tree(zone.root).ok


stamps = st.sampled_from(["2026-03-01T10:00:00Z", "2026-03-02T23:30:00-02:00", "2026-03-03 08:00:00", "",
                          "not-a-date", "2025-12-31T10:00:00Z", "2099-01-01T00:00:00Z", "2026-02-30T10:00:00Z"])
texts = st.text(alphabet=st.sampled_from('Pa1,"\n\r '), max_size=6)


@st.composite
def landing_records(draw) -> str:
    """One record as an upstream might write it: well formed, quoted, short, long or badly quoted."""
    fields = [f"T{draw(st.integers(0, 99))}", "C000001", draw(texts), "1", "19.99", draw(st.sampled_from(["", "4"])),
              draw(stamps)]
    shape = draw(st.sampled_from(["plain", "quoted", "short", "long", "broken"]))
    if shape == "short":
        fields = fields[:3]
    elif shape == "long":
        fields.append("extra")
    quoted = [('"' + f.replace('"', '""') + '"') if shape != "plain" and any(c in f for c in ',"\r\n') else
              f.replace(",", "").replace('"', "").replace("\r", "").replace("\n", "") for f in fields]
    if shape == "broken":
        quoted[1] = '"C1"x'
    return ",".join(quoted)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(landing_records(), max_size=15), st.sampled_from(["\n", "\r\n"]), st.sampled_from([64, 1 << 20]))
def test_every_record_is_counted_once_placed_or_quarantined(tmp_path_factory, monkeypatch, records, end, chunk):
    """For any file: its records (as the raw zone counts them) are exactly the placed ones plus the
    rejected ones, each once and as received, and the manifests say so."""
    for module in (identity, split):
        monkeypatch.setattr(module, "CHUNK_BYTES", chunk)
    zone = RawZone(UPath(tmp_path_factory.mktemp("zone")))
    zone.create_tree()
    data = "".join(line + end for line in [HEADER, *records]).encode()
    drop(zone, "generated.csv", data)
    outcome = only_outcome(run_pass(zone))
    assert outcome.status == "ingested"
    expected = [t for c in iter_csv_records(io.BytesIO(data)) for t in c.texts][1:]
    placed = [t for p in zone.root.glob("transactions/*/ingested_*.csv")
              for c in iter_csv_records(io.BytesIO(p.read_bytes())) for t in c.texts[1:]]
    rejected = [r["record"] for r in quarantined_rows(zone)]
    assert sorted(placed + rejected) == sorted(expected)
    assert outcome.records + outcome.rejected_rows == count_records(data, "csv") == len(expected)
    assert read_manifest(zone.root / outcome.stored_as).record_count == len(expected)
    assert verify_tree(zone.root).ok
