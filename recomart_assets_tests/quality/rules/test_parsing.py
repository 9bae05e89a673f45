"""Text to typed columns: the fast cast and the forgiving one agree, and unparsed values are marked."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from recomart_assets.quality.rules.parsing import FLOAT, INTEGER, parse_column, parse_frame
from recomart_assets.quality.rules.schemas import STRING, TIMESTAMP


def _text(*values):
    return pd.Series(values, dtype=STRING)


@pytest.mark.parametrize(("kind", "values", "parsed", "unparsed"), [
    (INTEGER, ("1", "42"), [1, 42], [False, False]),  # the fast path
    (INTEGER, ("1", "1.0", "1.5", "x", None), [1, 1, None, None, None], [False, False, True, True, False]),
    (FLOAT, ("1.5", "nan?", None), [1.5, None, None], [False, True, False]),
])
def test_numbers(kind, values, parsed, unparsed):
    result, mask = parse_column(_text(*values), kind)
    assert [None if pd.isna(v) else v for v in result] == parsed
    assert mask.tolist() == unparsed


def test_timestamps_without_an_offset_are_utc_on_both_paths():
    fast, _ = parse_column(_text("2026-01-05T10:00:00"), TIMESTAMP)
    slow, mask = parse_column(_text("2026-01-05T10:00:00", "2026-01-05T12:00:00+02:00", "later"), TIMESTAMP)
    expected = pd.Timestamp("2026-01-05T10:00:00", tz="UTC")
    assert fast.iloc[0] == expected == slow.iloc[0] == slow.iloc[1]
    assert mask.tolist() == [False, False, True]


def test_parse_frame_types_the_schema_columns_only():
    schema = pa.DataFrameSchema({"n": pa.Column(INTEGER), "s": pa.Column(STRING)})
    raw = pd.DataFrame({"n": ["1", "x"], "s": ["a", "b"], "extra": ["1", "2"]}, dtype=object)
    parsed = parse_frame(raw, schema)
    assert str(parsed.frame["n"].dtype) == INTEGER and parsed.frame["extra"].dtype == STRING
    assert list(parsed.unparsed) == ["n"] and parsed.unparsed["n"].tolist() == [False, True]
