"""What differs between the SQL engines, and what an engine provides to run the compiled SQL.

Everything else the compiler writes is standard SQL that DuckDB and Spark both accept. An engine
(:mod:`~recomart_assets.quality.engines.duckdb_engine`,
:mod:`~recomart_assets.quality.engines.spark_engine`) supplies a :class:`SqlRunner` with its
:class:`Dialect`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from recomart_assets.lake import scanning


@dataclass(frozen=True)
class Dialect:
    """What differs between the SQL engines (everything else is standard SQL both accept)."""

    name: str
    quote_char: str
    fullmatch: Callable[[str, str], str]  # (expression, pattern literal) -> boolean
    to_double: Callable[[str], str]  # text -> double or NULL
    to_timestamp: Callable[[str], str]  # text -> UTC timestamp or NULL
    timestamp_literal: Callable[[str], str]
    is_infinite: Callable[[str], str]
    epoch_micros: Callable[[str], str]  # timestamp -> microseconds since 1970 (no client time zone involved)
    round_half_even: Callable[[str], str]
    approx_distinct: str
    hash64: Callable[[str], str]  # value -> a 64-bit hash (equal values, equal hashes)
    repeated: Callable[[str, str], str]  # (expression, source) -> a query of its values occurring more than once
    hour_of_day: Callable[[str], str]  # timestamp -> its UTC hour 0..23 (DuckDB: epoch arithmetic, no calendar)
    hour_counts: Callable[[str], str]  # hour 0..23 -> an aggregate: a map of each hour to its rows (0 or absent if none)
    backslash_escapes: bool  # string literals treat backslash as an escape (Spark)

    def quote(self, name: str) -> str:
        """An identifier (ours: data names are never identifiers, see :func:`~.compiler.column_id`)."""
        q = self.quote_char
        return q + name.replace(q, q + q) + q

    def literal(self, value: object) -> str:
        """``value`` as an SQL literal of this dialect (a float as a DOUBLE, text escaped)."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, float):
            return f"CAST({value!r} AS DOUBLE)"  # a plain literal would be a DECIMAL
        if isinstance(value, int):
            return str(value)
        text = str(value)
        if not self.backslash_escapes:
            return scanning.literal(text)
        return "'" + text.replace("\\", "\\\\").replace("'", "''").replace("\x00", "\\u0000") + "'"


DUCKDB = Dialect(
    name="duckdb",
    quote_char='"',
    fullmatch=lambda expr, pattern: f"regexp_full_match({expr}, {pattern})",
    to_double=lambda expr: f"TRY_CAST({expr} AS DOUBLE)",
    to_timestamp=lambda expr: f"TRY_CAST({expr} AS TIMESTAMPTZ)",
    timestamp_literal=lambda iso: f"TIMESTAMPTZ '{iso}'",
    is_infinite=lambda expr: f"isinf({expr})",
    epoch_micros=lambda expr: f"epoch_us({expr})",
    round_half_even=lambda expr: f"roundbankers({expr}, 0)",
    approx_distinct="approx_count_distinct",
    hash64=lambda expr: f"hash({expr})",
    # sorted, each compared with the one before: a third less CPU than a group-by of millions of
    # distinct hashes (which DuckDB builds a hash table for), and less memory
    repeated=lambda expr, source: (f"SELECT v FROM (SELECT v, lag(v) OVER (ORDER BY v) AS p FROM "
                                   f"(SELECT {expr} AS v FROM {source}) s) r WHERE v = p"),
    hour_of_day=lambda expr: f"CAST(((epoch_us({expr}) // 3600000000) % 24 + 24) % 24 AS INTEGER)",
    hour_counts=lambda hour: f"histogram({hour})",  # NULL when no row has a value
    backslash_escapes=False,
)

SPARK = Dialect(
    name="spark",
    quote_char="`",
    # Java regex: \z is the very end (``$`` would also match before a final newline).
    fullmatch=lambda expr, pattern: f"({expr} RLIKE concat('^(?:', {pattern}, ')\\\\z'))",
    to_double=lambda expr: f"try_cast({expr} AS DOUBLE)",
    to_timestamp=lambda expr: f"try_cast({expr} AS TIMESTAMP)",
    timestamp_literal=lambda iso: f"TIMESTAMP '{iso}'",
    is_infinite=lambda expr: f"(abs({expr}) = double('infinity'))",
    epoch_micros=lambda expr: f"unix_micros({expr})",
    round_half_even=lambda expr: f"bround({expr}, 0)",
    approx_distinct="approx_count_distinct",
    hash64=lambda expr: f"xxhash64({expr})",
    # a group-by: a window ordered over the whole table would move it into one Spark partition
    repeated=lambda expr, source: f"SELECT {expr} FROM {source} GROUP BY {expr} HAVING count(*) > 1",
    hour_of_day=lambda expr: f"hour({expr})",
    hour_counts=lambda hour: (f"map_from_arrays(sequence(0, 23), array("
                              f"{', '.join(f'count_if({hour} = {h})' for h in range(24))}))"),
    backslash_escapes=True,
)


class SqlRunner(Protocol):
    """What an engine provides: its dialect, rows of a query, temporary tables (or views)."""

    dialect: Dialect

    def rows(self, query: str) -> list[tuple]:
        """The rows ``query`` returns."""
        ...

    def create_temp(self, name: str, query: str, view: bool = False) -> None:
        """``query``'s result as the temporary table (or view) ``name``."""
        ...
