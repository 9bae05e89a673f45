"""Run a dataset's schema on a partition and turn pandera's failure cases into per-check results.

Every rule of the schema becomes one named check result, passing ones included, so reports show
what was checked and not only what failed. Names read ``<column>: <rule>`` (``rating:
in_range(1, 5)``, ``price: type float64``) or name a table-wide rule (``columns present``, ``no
duplicate rows``). Each result has a severity and a status:

* ``error`` checks (the schema itself: columns present, no unexpected columns) fail on any
  failure; they block downstream assets.
* ``warn`` checks (values: missing, duplicates, ranges, formats, day, references) pass at zero
  failures, warn up to ``fail_rate`` of the rows and fail above it.

Type checks (``<column>: type ...``) belong to the schema group: they warn on a few values that
do not parse, and fail when more than half of the rows do not (a mistyped column), which blocks
like a missing column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from recomart_assets.quality.parsing import PARSED_TYPES, TYPE_LABELS, Parsed, parse_frame
from recomart_assets.quality.schemas import STRING, References, reference_of, referential_checks, schema_for

DEFAULT_FAIL_RATE = 0.05
# A typed column where more than this share of the rows does not parse is mistyped (schema fail).
MISTYPED_RATE = 0.5
MAX_SAMPLES = 5
STATUS_ORDER = {"pass": 0, "warn": 1, "fail": 2}

COLUMNS_PRESENT = "columns present"
NO_UNEXPECTED_COLUMNS = "no unexpected columns"
NO_DUPLICATE_ROWS = "no duplicate rows"
PARTITION_PRESENT = "partition present"

# pandera's name for a failure -> our check name (``{column}`` filled in).
_PANDERA_NAMES = {
    "column_in_dataframe": COLUMNS_PRESENT,
    "column_in_schema": NO_UNEXPECTED_COLUMNS,
    "multiple_fields_uniqueness": NO_DUPLICATE_ROWS,
    "not_nullable": "{column}: not null",
    "field_uniqueness": "{column}: unique",
}


@dataclass
class CheckResult:
    """One rule's outcome on one partition (the contract's check object, plus context)."""

    name: str
    severity: str  # error | warn
    status: str  # pass | warn | fail
    failure_count: int
    samples: list[str] = field(default_factory=list)
    sample_rows: list[int] = field(default_factory=list)
    group: str = "values"  # schema | values | integrity
    column: str | None = None
    detail: str | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class DatasetValidation:
    """A dataset's partition after validation: the parsed frame, its checks and their summary."""

    dataset: str
    partition: str
    status: str  # pass | warn | fail | missing
    row_count: int
    checks: list[CheckResult]
    parsed: Parsed | None = None
    failed_rows: int = 0

    @property
    def duplicate_rows(self) -> int:
        return next((c.failure_count for c in self.checks if c.name == NO_DUPLICATE_ROWS), 0)

    def group_status(self, group: str) -> str:
        return worst(c.status for c in self.checks if c.group == group)


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=STATUS_ORDER.__getitem__, default="pass")


def judge(count: int, rows: int, severity: str, fail_rate: float) -> str:
    if count == 0:
        return "pass"
    if severity == "error" or count > fail_rate * max(rows, 1):
        return "fail"
    return "warn"


def type_rule(name: str, column: pa.Column) -> str:
    return f"{name}: type {TYPE_LABELS[str(column.dtype)]}"


def _rule_name(check: pa.Check) -> str:
    return check.name if check.error is None else check.error


@dataclass(frozen=True)
class Rule:
    """One rule of a schema as it applies to a partition: its check name, group and what it tests.

    ``kind`` is ``columns_present``, ``unexpected_columns``, ``type``, ``not_null``, ``unique``,
    ``column_check`` (``check`` on ``column``), ``duplicate_rows`` or ``frame_check`` (a row-wide
    ``check``). Every engine reports exactly these rules, by these names, in this order.
    """

    name: str
    group: str
    column: str | None
    kind: str
    check: pa.Check | None = None
    dtype: str | None = None

    @property
    def severity(self) -> str:
        return "error" if self.kind in ("columns_present", "unexpected_columns") else "warn"


def expected_checks(schema: pa.DataFrameSchema, raw_columns: Iterable[str]) -> list[Rule]:
    """Every rule the schema applies to a frame with ``raw_columns``, in a stable order."""
    present = set(raw_columns)
    rules = [Rule(COLUMNS_PRESENT, "schema", None, "columns_present")]
    if schema.strict:
        rules.append(Rule(NO_UNEXPECTED_COLUMNS, "schema", None, "unexpected_columns"))
    for name, column in schema.columns.items():
        if name not in present and not column.required:
            continue
        dtype = str(column.dtype)
        if dtype in PARSED_TYPES:
            rules.append(Rule(type_rule(name, column), "schema", name, "type", dtype=dtype))
        if not column.nullable:
            rules.append(Rule(f"{name}: not null", "values", name, "not_null", dtype=dtype))
        if column.unique:
            rules.append(Rule(f"{name}: unique", "values", name, "unique", dtype=dtype))
        for check in column.checks:
            rule = _rule_name(check)
            group = "integrity" if rule.startswith("in ") else "values"
            rules.append(Rule(f"{name}: {rule}", group, name, "column_check", check, dtype))
    if schema.unique:
        rules.append(Rule(NO_DUPLICATE_ROWS, "values", None, "duplicate_rows"))
    rules.extend(Rule(_rule_name(check), "values", None, "frame_check", check) for check in schema.checks)
    return rules


def judged(rule: Rule, count: int, rows: int, fail_rate: float, samples: list[str] | None = None,
           sample_rows: list[int] | None = None) -> CheckResult:
    """The rule's result for ``count`` failures among ``rows``: its severity, status and samples."""
    threshold = MISTYPED_RATE if rule.group == "schema" else fail_rate  # the type checks
    return CheckResult(rule.name, rule.severity, judge(count, rows, rule.severity, threshold), count,
                       samples or [], sample_rows or [], rule.group, rule.column)


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


def sample_text(value: object) -> str:
    return "<missing>" if pd.isna(value) else str(value)


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


def skipped_references(dataset: str, references: References) -> list[CheckResult]:
    """A referential check whose reference dataset is missing warns that it did not run."""
    return [
        CheckResult(
            f"{column}: {check}", "warn", "warn", 0, group="integrity", column=column,
            detail=f"not run: {reference_of(check)} is missing for this partition",
        )
        for column, check in referential_checks(dataset)
        if references.ids_for(check) is None
    ]


def missing_partition(dataset: str, day: date | str) -> DatasetValidation:
    """No complete file for the day: reported as missing (a warning), never a crash."""
    check = CheckResult(PARTITION_PRESENT, "warn", "warn", 1, group="schema",
                        detail=f"no complete {dataset} file for {day}")
    return DatasetValidation(dataset, str(day), "missing", 0, [check])
