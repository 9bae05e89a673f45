"""Judging a rule's failures: statuses by severity and threshold, samples, skipped references."""

from __future__ import annotations

import orjson
import pandas as pd
import pytest

from recomart_assets.quality.rules.checks import (
    MISTYPED_RATE,
    CheckResult,
    DatasetValidation,
    judge,
    judged,
    missing_partition,
    sample_text,
    skipped_references,
    worst,
)
from recomart_assets.quality.rules.schemas import References
from recomart_assets.quality.rules.vocabulary import Rule


@pytest.mark.parametrize(("count", "rows", "severity", "status"), [
    (0, 100, "error", "pass"), (1, 100, "error", "fail"), (5, 100, "warn", "warn"), (6, 100, "warn", "fail"),
    (1, 0, "warn", "fail"),  # no rows: one failure is above any rate
])
def test_judge(count, rows, severity, status):
    assert judge(count, rows, severity, 0.05) == status


def test_type_rules_have_their_own_threshold():
    typed = Rule("n: type integer", "schema", "n", "type")
    assert judged(typed, 40, 100, 0.05).status == "warn" and MISTYPED_RATE == 0.5
    result = judged(Rule("n: not null", "values", "n", "not_null"), 40, 100, 0.05, ["<missing>"], [3])
    assert (result.status, result.samples, result.sample_rows, result.column) == ("fail", ["<missing>"], [3], "n")


def test_worst_and_group_status():
    assert worst([]) == "pass" and worst(["warn", "pass", "fail", "warn"]) == "fail"
    checks = [CheckResult("a", "warn", "warn", 1, group="values"), CheckResult("no duplicate rows", "warn", "fail", 7)]
    validation = DatasetValidation("transactions", "2026-01-05", "fail", 10, checks)
    assert validation.group_status("values") == "fail" and validation.group_status("schema") == "pass"
    assert validation.duplicate_rows == 7


def test_samples_and_missing_partitions():
    assert sample_text(pd.NA) == "<missing>" and sample_text(None) == "<missing>" and sample_text(3) == "3"
    missing = missing_partition("customers", "2026-01-05")
    assert (missing.status, missing.checks[0].status, missing.checks[0].detail) == (
        "missing", "warn", "no complete customers file for 2026-01-05")


def test_each_reference_without_ids_warns_that_it_did_not_run():
    ids = References({("customers", "customer_id"): pd.Index(["C000001"])})
    assert [c.name for c in skipped_references("transactions", ids)] == ["product_id: in product_catalog"]
    assert [c.name for c in skipped_references("transactions", References())] == [
        "customer_id: in customers", "product_id: in product_catalog"]
    assert skipped_references("customers", References()) == []


def test_a_validation_survives_its_plain_form():
    """What a Spark job sends back over Pipes is the validation itself (the parsed frame aside)."""
    checks = [CheckResult("price: greater_than(0)", "warn", "fail", 2, ["-1", "<missing>"], [3, 7], "values", "price"),
              CheckResult("columns present", "error", "pass", 0, group="schema"),
              CheckResult("customer_id: in customers", "warn", "warn", 0, group="integrity", column="customer_id",
                          detail="not run: customers is missing for this partition")]
    validation = DatasetValidation("transactions", "2026-01-05", "fail", 40, checks, failed_rows=2)
    plain = orjson.loads(orjson.dumps(validation.to_dict()))
    assert DatasetValidation.from_dict(plain) == validation
