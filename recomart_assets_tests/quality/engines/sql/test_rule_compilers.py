"""The SQL engines' registry of rule compilers covers every rule kind and every check of every
dataset's schema, so a new kind of rule or check without its SQL fails here, not in a run."""

import pandas as pd
import pandera.pandas as pa
import pytest

from recomart_assets import datasets
from recomart_assets.quality.engines.sql.rule_compilers import (
    CHECK_COMPILERS,
    FRAME_CHECK_COMPILERS,
    RULE_COMPILERS,
    rule_compiler,
)
from recomart_assets.quality.rules.schemas import References, schema_for
from recomart_assets.quality.rules.vocabulary import RULE_KINDS, check_rule, expected_checks

DAY = "2024-05-01"


def test_every_rule_kind_has_a_compiler():
    assert set(RULE_COMPILERS) == set(RULE_KINDS)


@pytest.mark.parametrize("dataset", datasets.names())
def test_every_check_of_every_schema_has_a_compiler(dataset):
    references = References({("product_catalog", "product_id"): pd.Index(["P000001"]),
                             ("customers", "customer_id"): pd.Index(["C000001"])})
    schema = schema_for(dataset, DAY, references)
    for rule in expected_checks(schema, list(schema.columns)):
        assert rule.kind in RULE_KINDS, rule
        if rule.kind == "column_check":
            assert check_rule(rule.check) in CHECK_COMPILERS, rule.name
        elif rule.kind == "frame_check":
            assert check_rule(rule.check) in FRAME_CHECK_COMPILERS, rule.name


def test_pandera_builtin_checks_the_schemas_may_use_have_compilers():
    for check in (pa.Check.gt(0), pa.Check.ge(0), pa.Check.lt(1), pa.Check.le(1), pa.Check.eq(1), pa.Check.ne(1),
                  pa.Check.in_range(0, 1), pa.Check.isin(["a"]), pa.Check.notin(["a"])):
        assert check_rule(check) in CHECK_COMPILERS, check.name


def test_a_compiler_for_an_unknown_rule_kind_is_refused_at_registration():
    with pytest.raises(ValueError, match="not a rule kind"):
        rule_compiler("no_such_kind")(lambda plan, rule: None)
    with pytest.raises(ValueError, match="has a compiler already"):
        rule_compiler("not_null")(lambda plan, rule: None)
