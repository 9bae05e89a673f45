"""The rule vocabulary: every rule a schema applies, named and ordered the same on every engine."""

from __future__ import annotations

import pandera.pandas as pa

from recomart_assets.quality.rules.schemas import STRING
from recomart_assets.quality.rules.vocabulary import RULE_KINDS, check_name, check_rule, expected_checks

SCHEMA = pa.DataFrameSchema(
    {
        "id": pa.Column(STRING, nullable=False, unique=True),
        "n": pa.Column("Int64", nullable=True, checks=pa.Check.ge(1)),
        "ref": pa.Column(STRING, nullable=True, checks=pa.Check(lambda s: s.notna(), name="in customers")),
        "opt": pa.Column(STRING, required=False, nullable=True),
    },
    checks=[pa.Check(lambda df: df["id"].notna(), name="row rule")],
    strict=True,
    unique=["id", "n"],
)


def test_rules_in_order_with_groups_kinds_and_severities():
    rules = expected_checks(SCHEMA, ["id", "n", "ref"])
    assert [(r.name, r.group, r.kind, r.severity) for r in rules] == [
        ("columns present", "schema", "columns_present", "error"),
        ("no unexpected columns", "schema", "unexpected_columns", "error"),
        ("id: not null", "values", "not_null", "warn"),
        ("id: unique", "values", "unique", "warn"),
        ("n: type integer", "schema", "type", "warn"),
        ("n: greater_than_or_equal_to(1)", "values", "column_check", "warn"),
        ("ref: in customers", "integrity", "column_check", "warn"),
        ("no duplicate rows", "values", "duplicate_rows", "warn"),
        ("row rule", "values", "frame_check", "warn"),
    ]
    assert {r.kind for r in rules} <= set(RULE_KINDS)


def test_an_optional_column_counts_only_when_present():
    assert "opt: type" not in {r.name for r in expected_checks(SCHEMA, ["id", "n", "ref", "opt"])}
    assert len(expected_checks(SCHEMA, ["id", "n", "ref", "opt"])) == len(expected_checks(SCHEMA, ["id"]))


def test_check_names_and_rules():
    ours = pa.Check(lambda s: s, name="format id", statistics={"rule": "fullmatch", "pattern": "x"})
    assert (check_name(ours), check_rule(ours)) == ("format id", "fullmatch")
    builtin = pa.Check.ge(1)
    assert check_rule(builtin) == "greater_than_or_equal_to"
    assert check_name(pa.Check(lambda s: s, name="x", error="custom text")) == "custom text"
