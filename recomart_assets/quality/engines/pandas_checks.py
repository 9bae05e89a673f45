"""The pandas backend of the rules: pandera runs a dataset's schema on a partition's frame, and its
failure cases become one :class:`~recomart_assets.quality.rules.checks.CheckResult` per rule.

The rules, their names and order come from
:func:`~recomart_assets.quality.rules.vocabulary.expected_checks`, their judging from
:mod:`recomart_assets.quality.rules.checks`; here pandera's names for its failures are mapped to
ours, values that do not parse count for the type rule only, and samples are the first few
distinct failing values as received, with their row numbers.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from recomart_assets.quality.rules.checks import (
    DEFAULT_FAIL_RATE,
    MAX_SAMPLES,
    CheckResult,
    DatasetValidation,
    judged,
    sample_text,
    skipped_references,
    worst,
)
from recomart_assets.quality.rules.parsing import Parsed, parse_frame
from recomart_assets.quality.rules.schemas import STRING, References, schema_for
from recomart_assets.quality.rules.vocabulary import (
    COLUMNS_PRESENT,
    NO_DUPLICATE_ROWS,
    NO_UNEXPECTED_COLUMNS,
    expected_checks,
    type_rule,
)

# pandera's name for a failure -> our check name (``{column}`` filled in).
_PANDERA_NAMES = {
    "column_in_dataframe": COLUMNS_PRESENT,
    "column_in_schema": NO_UNEXPECTED_COLUMNS,
    "multiple_fields_uniqueness": NO_DUPLICATE_ROWS,
    "not_nullable": "{column}: not null",
    "field_uniqueness": "{column}: unique",
}


def _check_name(row: pd.Series) -> str:
    check = str(row["check"])
    column = row["column"] if isinstance(row["column"], str) else None
    if check in _PANDERA_NAMES:
        return _PANDERA_NAMES[check].format(column=column)
    return f"{column}: {check}" if column and row["schema_context"] == "Column" else check


def pandera_failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """pandera's failure cases (columns ``name``, ``failure_case``, ``index``); empty when valid."""
    try:
        schema.validate(frame, lazy=True, inplace=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        return cases.assign(name=cases.apply(_check_name, axis=1) if len(cases) else [])
    return pd.DataFrame(columns=["name", "failure_case", "index"])


def _type_failures(parsed: Parsed, raw: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    frames = [
        pd.DataFrame({
            "name": type_rule(column, schema.columns[column]),
            "failure_case": raw.loc[mask, column].astype(object),
            "index": raw.index[mask],
        })
        for column, mask in parsed.unparsed.items()
        if mask.any()
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["name", "failure_case", "index"])


def _without_double_counts(cases: pd.DataFrame, parsed: Parsed) -> pd.DataFrame:
    """Drop not-null failures of values that were present but unparsable (the type check has them)."""
    drop = pd.Series(False, index=cases.index)
    for column, mask in parsed.unparsed.items():
        bad_rows = set(mask.index[mask])
        if bad_rows:
            drop |= (cases["name"] == f"{column}: not null") & cases["index"].isin(bad_rows)
    return cases[~drop]


def _failure_count(cases: pd.DataFrame) -> int:
    """Failing rows; row-wide rules (duplicate rows) report one case per cell, so count rows."""
    rows = cases["index"].dropna()
    return int(rows.nunique()) + int(cases["index"].isna().sum()) if len(rows) else len(cases)


def _samples(cases: pd.DataFrame, raw: pd.DataFrame, column: str | None) -> tuple[list[str], list[int]]:
    """The first few distinct failing values as received (whole rows for row-wide rules), in row order,
    with their row numbers."""
    rows = cases["index"].dropna().astype("int64").drop_duplicates().sort_values()
    if rows.empty:  # table-level failures (a missing column): the pandera case names it
        return [sample_text(v) for v in cases["failure_case"].drop_duplicates().head(MAX_SAMPLES)], []
    if column in raw.columns:
        values = raw.loc[rows.to_numpy(), column].astype(object).map(sample_text)
    else:
        subset = raw.loc[rows.to_numpy()].astype(object)
        values = subset.apply(lambda r: ", ".join(f"{k}={sample_text(v)}" for k, v in r.items()), axis=1)
    distinct = values[~values.duplicated()].head(MAX_SAMPLES)
    return distinct.tolist(), [int(i) for i in distinct.index]


def _with_required_columns(raw: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """An empty JSON Lines file has no columns at all: zero rows are valid, not a schema mismatch."""
    if len(raw) == 0 and len(raw.columns) == 0:
        return pd.DataFrame({name: pd.Series([], dtype=STRING) for name, col in schema.columns.items() if col.required})
    return raw


def validate_frame(
    dataset: str,
    raw: pd.DataFrame,
    day: date | str,
    references: References | None = None,
    fail_rate: float = DEFAULT_FAIL_RATE,
) -> DatasetValidation:
    """Validate one partition's text frame against the dataset's schema (lazily, all rules)."""
    references = references or References()
    schema = schema_for(dataset, day, references)
    raw = _with_required_columns(raw, schema)
    parsed = parse_frame(raw, schema)
    found = [_type_failures(parsed, raw, schema), _without_double_counts(pandera_failures(schema, parsed.frame), parsed)]
    found = [f[["name", "failure_case", "index"]] for f in found if len(f)]
    cases = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=["name", "failure_case", "index"])
    rows = len(raw)
    grouped = dict(tuple(cases.groupby("name", sort=False))) if len(cases) else {}
    results = []
    for rule in expected_checks(schema, raw.columns):
        found = grouped.pop(rule.name, None)
        count = 0 if found is None else _failure_count(found)
        samples, sample_rows = _samples(found, raw, rule.column) if found is not None else ([], [])
        results.append(judged(rule, count, rows, fail_rate, samples, sample_rows))
    for name, found in grouped.items():  # a rule that could not run (e.g. on an absent column)
        samples, sample_rows = _samples(found, raw, None)
        results.append(CheckResult(name, "error", "fail", _failure_count(found), samples, sample_rows, "schema",
                                   detail="the check could not run"))
    results.extend(skipped_references(dataset, references))
    indices = cases["index"].dropna() if len(cases) else pd.Series([], dtype=object)
    return DatasetValidation(
        dataset, str(day), worst(r.status for r in results), rows, results, parsed,
        failed_rows=int(pd.Series(indices.astype("int64")).nunique()) if len(indices) else 0,
    )

