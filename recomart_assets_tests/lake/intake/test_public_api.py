"""The intake package's public face is what sources, definitions, commands and benchmarks use, and
nothing more (pinned like httpx pins its exports): a name added or removed here is a decision."""

import recomart_assets.lake.intake as intake

EXPECTED = {
    # what a source supplies
    "LandingSource", "HeaderContract", "Header", "Placed", "Rejection", "ChunkSplit", "PartitionKey",
    "EventTimeWindow", "Splitter", "whole_lines", "grouped_lines",
    # running it
    "ingest_file", "run_pass", "rederive_partitions", "plan_runs", "RunPlan", "FileOutcome", "PassResult",
    "DEFAULT_SETTLE_SECONDS", "WAIT_MARGIN_SECONDS",
    # reading what it did
    "ledger_entry", "LedgerEntry", "latest_version", "storable", "safe_name",
}


def test_the_public_face_is_pinned():
    assert set(intake.__all__) == EXPECTED


def test_every_public_name_exists_and_says_why():
    for name in intake.__all__:
        value = getattr(intake, name)
        if callable(value) and not name[0].isupper() or isinstance(value, type):
            assert value.__doc__, name


def test_the_in_flight_plan_is_not_part_of_it():
    assert "Plan" not in intake.__all__ and not any(name.startswith("_") for name in intake.__all__)
