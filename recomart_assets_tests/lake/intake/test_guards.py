"""Whole-file problems are found before any split, each with its reason."""

from __future__ import annotations

import pytest

from recomart_assets.lake.intake.contract import Header
from recomart_assets.lake.intake.guards import content_problem, read_header
from recomart_assets.lake.intake.identity import inspect_file
from recomart_assets.sources.transactions import LANDING

HEADER = b"transaction_id,customer_id,product_id,quantity,price,rating,timestamp\n"


@pytest.mark.parametrize(("data", "problem"), [
    (b"", "empty file"),
    (b"  \n", "empty file"),
    (HEADER + b"\x00\x01", "not a CSV: binary content (NUL bytes)"),
    (HEADER + b"T1,\xff", f"undecodable bytes: not UTF-8 (first bad byte at offset {len(HEADER) + 3})"),
    (b"just one column\n", "not a CSV: no comma-separated header"),
])
def test_whole_file_problems(tmp_path, data, problem):
    path = tmp_path / "drop.csv"
    path.write_bytes(data)
    assert content_problem(LANDING, path, inspect_file(path)) == problem


def test_a_sound_file_and_its_header(tmp_path):
    path = tmp_path / "drop.csv"
    path.write_bytes(b"\xef\xbb\xbf" + HEADER + b"T1,C000001,P000001,1,2.5,,2026-01-05T10:00:00Z\n")
    assert content_problem(LANDING, path, inspect_file(path)) is None
    header = read_header(path)
    assert isinstance(header, Header) and header.columns[0] == "transaction_id" and header.index("price") == 4
    (tmp_path / "empty.csv").write_bytes(b"")
    assert read_header(tmp_path / "empty.csv") == "empty file"
