"""The two SQL dialects: identifiers and literals are always escaped, each in its engine's way."""

from __future__ import annotations

import duckdb
import pytest

from recomart_assets.quality.engines.sql.dialect import DUCKDB, SPARK


def test_identifiers_double_their_quote_char():
    assert DUCKDB.quote('a"b') == '"a""b"'
    assert SPARK.quote("a`b") == "`a``b`"


@pytest.mark.parametrize(("value", "sql"), [(None, "NULL"), (True, "TRUE"), (False, "FALSE"), (3, "3"),
                                            (0.5, "CAST(0.5 AS DOUBLE)")])
def test_scalar_literals(value, sql):
    assert DUCKDB.literal(value) == sql == SPARK.literal(value)


def test_spark_text_literals_escape_backslashes_quotes_and_nul():
    assert SPARK.literal("a\\b'c\x00") == "'a\\\\b''c\\u0000'"


@pytest.mark.parametrize("text", ["plain", "it's", "back\\slash", "nul\x00here", "ünïcode", ""])
def test_duckdb_text_literals_read_back_as_the_same_text(text):
    assert duckdb.sql(f"SELECT {DUCKDB.literal(text)}").fetchone()[0] == text


def test_duckdb_expressions_run():
    row = duckdb.sql(f"SELECT {DUCKDB.to_double(DUCKDB.literal('x'))}, {DUCKDB.to_double(DUCKDB.literal('1.5'))}, "
                     f"{DUCKDB.fullmatch(DUCKDB.literal('P000001'), DUCKDB.literal('P[0-9]{6}'))}, "
                     f"{DUCKDB.hour_of_day(DUCKDB.timestamp_literal('2026-01-05T23:30:00+00:00'))}, "
                     f"{DUCKDB.round_half_even('2.5')}").fetchone()
    assert row == (None, 1.5, True, 23, 2)


def test_duckdb_repeated_lists_each_value_occurring_more_than_once():
    source = "(VALUES (1), (2), (2), (3), (3), (3), (NULL), (NULL)) t(x) WHERE x IS NOT NULL"
    assert {v for (v,) in duckdb.sql(DUCKDB.repeated("x", source)).fetchall()} == {2, 3}
    assert duckdb.sql(DUCKDB.repeated("x", "(VALUES (1), (2)) t(x)")).fetchall() == []


def test_duckdb_hour_counts_maps_each_hour_with_rows_to_their_number():
    hour = DUCKDB.hour_of_day("t")
    source = ("(VALUES (TIMESTAMPTZ '2026-01-05T23:30:00+00:00'), (TIMESTAMPTZ '2026-01-06T01:30:00+02:00'), "
              "(TIMESTAMPTZ '2026-01-05T23:59:00+00:00'), (NULL)) v(t)")
    assert duckdb.sql(f"SELECT {DUCKDB.hour_counts(hour)} FROM {source}").fetchone()[0] == {23: 3}
