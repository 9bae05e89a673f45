"""The engine-neutral rule vocabulary: which rules a schema applies to a partition, by name and kind.

Every rule of a dataset's schema becomes one named check, passing ones included, so reports show
what was checked and not only what failed. Names read ``<column>: <rule>`` (``rating:
in_range(1, 5)``, ``price: type float64``) or name a table-wide rule (``columns present``, ``no
duplicate rows``). :func:`expected_checks` lists them in one stable order, and every engine (the
pandas backend, the compiled SQL on DuckDB and Spark) reports exactly these rules, by these names,
in this order; how a result is judged lives in :mod:`recomart_assets.quality.rules.checks`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandera.pandas as pa

from recomart_assets.quality.rules.parsing import PARSED_TYPES, TYPE_LABELS

COLUMNS_PRESENT = "columns present"
NO_UNEXPECTED_COLUMNS = "no unexpected columns"
NO_DUPLICATE_ROWS = "no duplicate rows"
PARTITION_PRESENT = "partition present"

# Every kind of rule (see :class:`Rule`): an engine that compiles rules handles each of them (the SQL
# engines' registry is held to this list by a test).
RULE_KINDS = ("columns_present", "unexpected_columns", "type", "not_null", "unique", "column_check",
              "duplicate_rows", "frame_check")


def type_rule(name: str, column: pa.Column) -> str:
    """The name of the type check of column ``name`` (``price: type number``)."""
    return f"{name}: type {TYPE_LABELS[str(column.dtype)]}"


def check_name(check: pa.Check) -> str:
    """A pandera check's rule name as reports show it (its ``error`` text when it has one)."""
    name = check.name if check.error is None else check.error
    assert name is not None, "pandera names every check (its function's name when not given one)"
    return name


def check_rule(check: pa.Check) -> str:
    """What a check tests, for an engine that compiles it: the ``rule`` our checks declare in their
    ``statistics``, else pandera's built-in name (``greater_than``, ``in_range`` …)."""
    rule = (check.statistics or {}).get("rule", check.name)
    assert rule is not None, "pandera names every check (its function's name when not given one)"
    return rule


@dataclass(frozen=True)
class Rule:
    """One rule of a schema as it applies to a partition: its check name, group and what it tests.

    ``kind`` is one of :data:`RULE_KINDS`: ``columns_present``, ``unexpected_columns``, ``type``,
    ``not_null``, ``unique``, ``column_check`` (``check`` on ``column``), ``duplicate_rows`` or
    ``frame_check`` (a row-wide ``check``).
    """

    name: str
    group: str
    column: str | None
    kind: str
    check: pa.Check | None = None
    dtype: str | None = None

    @property
    def severity(self) -> str:
        """``error`` for the schema's shape (columns present, no unexpected ones), else ``warn``."""
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
            rule = check_name(check)
            group = "integrity" if rule.startswith("in ") else "values"
            rules.append(Rule(f"{name}: {rule}", group, name, "column_check", check, dtype))
    if schema.unique:
        rules.append(Rule(NO_DUPLICATE_ROWS, "values", None, "duplicate_rows"))
    rules.extend(Rule(check_name(check), "values", None, "frame_check", check) for check in schema.checks)
    return rules
