"""What the intake tells its callers: a file's records and version note, a pass's counts and days."""

from __future__ import annotations

from recomart_assets.lake.intake.outcome import FileOutcome, PassResult

PREVIOUS = "ab" * 32


def test_records_count_placed_records_only():
    outcome = FileOutcome("a.csv", "ingested", partitions={"2026-03-01": 3, "2026-03-02": 2}, rejected_rows=4)
    assert outcome.records == 5


def test_a_first_version_has_no_note():
    assert FileOutcome("a.csv", "ingested").version_note("transaction_id") is None


def test_the_note_says_which_rows_a_correction_replaced():
    outcome = FileOutcome("a.csv.replace", "ingested", previous_version=PREVIOUS,
                          replaced_partitions=["2026-03-01", "2026-03-02"])
    assert outcome.version_note("transaction_id") == (
        f"'a.csv.replace' is a new version (previous {PREVIOUS[:16]}): replaced its rows in 2026-03-01, 2026-03-02")


def test_the_note_tells_how_to_replace_repeated_ids_instead():
    outcome = FileOutcome("a.csv", "ingested", previous_version=PREVIOUS, repeated_ids=3)
    note = outcome.version_note(None)
    assert note.startswith(f"'a.csv' is a new version (previous {PREVIOUS[:16]}): 3 id value(s) repeat it")
    assert note.endswith("(drop the file as 'a.csv.replace' to replace the previous rows instead)")
    assert "3 transaction_id value(s)" in outcome.version_note("transaction_id")


def test_a_new_version_without_repeated_ids_is_just_named():
    outcome = FileOutcome("a.csv", "ingested", previous_version=PREVIOUS, repeated_ids=0)
    assert outcome.version_note("id") == f"'a.csv' is a new version (previous {PREVIOUS[:16]})"


def test_a_pass_counts_statuses_and_sums_the_days_of_ingested_files_only():
    result = PassResult([
        FileOutcome("b.csv", "ingested", partitions={"2026-03-02": 2, "2026-03-01": 1}),
        FileOutcome("a.csv", "ingested", partitions={"2026-03-01": 4}),
        FileOutcome("c.csv", "duplicate", partitions={"2026-03-01": 4}),
        FileOutcome("d.csv", "failed"),
    ])
    assert (result.count("ingested"), result.count("duplicate"), result.count("refused")) == (2, 1, 0)
    assert list(result.partitions.items()) == [("2026-03-01", 5), ("2026-03-02", 2)]
