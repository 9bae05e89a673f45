"""Arrow arrays built from buffers: the same values ``pa.array`` would give, without importing pandas."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from recomart_assets.lake import arrow


def test_slices_keep_the_ranges_in_order_with_or_without_gaps():
    data = b"ab,cd\nef,gh\n"
    assert arrow.slices(data, np.array([0, 3]), np.array([2, 5])).to_pylist() == ["ab", "cd"]  # a gap between
    assert arrow.slices(data, np.array([0, 6]), np.array([6, 12])).to_pylist() == ["ab,cd\n", "ef,gh\n"]  # none
    assert arrow.slices(data, np.array([], np.int64), np.array([], np.int64)).to_pylist() == []


def test_texts_and_back():
    values = ["a", "", "zé", "x,y"]
    array = arrow.texts(values)
    assert array.to_pylist() == values
    offsets, data = arrow.text_offsets(array.slice(1))
    assert data[offsets[0]:offsets[-1]].tobytes().decode() == "zéx,y"


def test_numbers_and_masks_round_trip_through_arrow():
    mask = np.array([True, False, True, True, False, False, True, False, True])
    assert arrow.bools(arrow.bool_array(mask).slice(2)).tolist() == mask[2:].tolist()
    assert arrow.int64s(arrow.int64_array(np.arange(5)).slice(1, 3)).tolist() == [1, 2, 3]


def test_the_intake_of_a_plain_file_imports_neither_pandas_nor_pyarrow_compute(tmp_path):
    """pandas costs a one-shot intake about as much as splitting a million rows, pyarrow.compute tens of
    milliseconds: both stay out of its path."""
    script = """
import sys
from recomart_assets.lake import RawZone, intake
from recomart_assets.sources.transactions import LANDING
zone = RawZone.at(sys.argv[1]); zone.create_tree()
(zone.landing / "t.csv").write_text("transaction_id,customer_id,product_id,quantity,price,rating,timestamp\\n"
                                    "T1,C1,P1,1,2.5,,2026-03-01T10:00:00Z\\nT2,C1,P1,1,2.5,2026-03-01T11:00:00+01:00\\n")
[outcome] = intake.run_pass(LANDING, zone, settle_seconds=0).outcomes
assert outcome.status == "ingested" and outcome.rejected_rows == 1, outcome
print("pandas" in sys.modules, "pyarrow.compute" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False False"
