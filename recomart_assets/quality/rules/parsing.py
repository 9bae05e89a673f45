"""Text to typed columns, once per column, remembering which values did not parse.

The raw zone keeps values as received, so every column arrives as text. The schema states the
parsed type of each column; here each typed column is converted once (pyarrow's cast, which is
an order of magnitude faster than ``pd.to_numeric``, with a pandas fallback that coerces the bad
values to null when the fast cast refuses). Values that were present but did not parse become
the ``<column>: type`` check; in the parsed frame they are null, and the not-null check does not
count them a second time (see :mod:`recomart_assets.quality.engines.pandas_checks`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pyarrow_lib
import pyarrow.compute as pc

from recomart_assets.quality.rules.schemas import STRING, TIMESTAMP

INTEGER = "Int64"
FLOAT = "float64"
PARSED_TYPES = (INTEGER, FLOAT, TIMESTAMP)
TYPE_LABELS = {INTEGER: "integer", FLOAT: "number", TIMESTAMP: "ISO 8601 timestamp"}


@dataclass
class Parsed:
    """The typed frame plus, per typed column, the mask of present values that did not parse."""

    frame: pd.DataFrame
    unparsed: dict[str, pd.Series]


def _arrow(series: pd.Series) -> pyarrow_lib.ChunkedArray | pyarrow_lib.Array:
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        return series.array._pa_array  # zero-copy view of the pyarrow-backed strings
    return pyarrow_lib.array(series.astype(object).where(series.notna(), None), type=pyarrow_lib.string())


def _fast_cast(series: pd.Series, kind: str) -> pd.Series | None:
    """pyarrow's cast; None when some value does not parse (then the slow path finds which)."""
    arrow = _arrow(series)
    try:
        if kind == TIMESTAMP:
            try:
                cast = pc.cast(arrow, pyarrow_lib.timestamp("ns", tz="UTC"))
            except pyarrow_lib.ArrowInvalid:  # no UTC offset: read as UTC
                cast = pc.assume_timezone(pc.cast(arrow, pyarrow_lib.timestamp("ns")), "UTC")
            return pd.Series(cast.to_pandas(), index=series.index).astype(TIMESTAMP)
        if kind == INTEGER:
            cast = pc.cast(arrow, pyarrow_lib.int64())
            return pd.Series(cast.to_pandas(types_mapper={pyarrow_lib.int64(): pd.Int64Dtype()}.get).array,
                             index=series.index)
        cast = pc.cast(arrow, pyarrow_lib.float64())
        return pd.Series(cast.to_numpy(zero_copy_only=False), index=series.index, dtype=FLOAT)
    except (pyarrow_lib.ArrowInvalid, pyarrow_lib.ArrowNotImplementedError, OverflowError):
        return None


def _coercing_cast(series: pd.Series, kind: str) -> pd.Series:
    """pandas' forgiving conversion: values that do not parse become null."""
    text = series.astype(object).where(series.notna(), None)
    if kind == TIMESTAMP:
        # Values with and without a UTC offset apart: in one call pandas reads a value without an offset
        # in the offset of the value before it (instead of as UTC, as pyarrow and DuckDB do).
        with_offset = series.astype(STRING).str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).fillna(False)
        parsed = pd.Series(pd.NaT, index=series.index, dtype=TIMESTAMP)
        for part in (with_offset, ~with_offset):
            if part.any():
                parsed[part] = pd.to_datetime(text[part], utc=True, format="ISO8601", errors="coerce")
        return parsed
    numbers = pd.to_numeric(text, errors="coerce").astype(FLOAT)
    if kind == INTEGER:
        numbers = numbers.where(np.isfinite(numbers) & (numbers == np.floor(numbers)))
        return numbers.astype(INTEGER)
    return numbers


def parse_column(series: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """``(parsed, unparsed_mask)`` for one column of text."""
    parsed = _fast_cast(series, kind)
    if parsed is None:
        parsed = _coercing_cast(series, kind)
    return parsed, series.notna() & parsed.isna()


def parse_frame(raw: pd.DataFrame, schema: pa.DataFrameSchema) -> Parsed:
    """Convert the schema's typed columns of ``raw``; other columns become pyarrow strings."""
    typed: dict[str, pd.Series] = {}
    unparsed: dict[str, pd.Series] = {}
    for name in raw.columns:
        column = schema.columns.get(name)
        kind = str(column.dtype) if column is not None and column.dtype is not None else STRING
        if kind in PARSED_TYPES:
            typed[name], unparsed[name] = parse_column(raw[name], kind)
        else:
            typed[name] = raw[name] if raw[name].dtype == STRING else raw[name].astype(STRING)
    return Parsed(pd.DataFrame(typed, index=raw.index), unparsed)
