"""The registry of rule compilers: each kind of rule, and each kind of check, to its SQL.

A rule's compiler writes its failure condition on one row of ``typed`` (NULL values never fail:
pandera skips them), or returns None for a rule that is not row-local (columns present, unique,
duplicate rows: :mod:`.passes` counts those). Compilers are registered per rule kind
(:data:`~recomart_assets.quality.rules.vocabulary.RULE_KINDS`), per column check (the ``rule`` a
check declares in its ``statistics``, or pandera's built-in name) and per row-wide check. A new
kind of rule or check adds its compiler here; a test holds the registry to every rule kind and to
every check of every dataset's schema, so a missing compiler fails the tests, not a run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandera.pandas as pa

from recomart_assets.quality.engines.sql.compiler import Plan, RuleSql, reference_tables
from recomart_assets.quality.rules.vocabulary import RULE_KINDS, Rule, check_rule, expected_checks

RuleCompiler = Callable[[Plan, Rule], str | None]  # a rule on a present column -> its failure condition
CheckCompiler = Callable[[Plan, str, pa.Check], str]  # (plan, column, check) -> its failure condition
FrameCheckCompiler = Callable[[Plan, pa.Check], str | None]  # None: a column it needs is absent

RULE_COMPILERS: dict[str, RuleCompiler] = {}
CHECK_COMPILERS: dict[str, CheckCompiler] = {}
FRAME_CHECK_COMPILERS: dict[str, FrameCheckCompiler] = {}


def _register(registry: dict, names: tuple[str, ...], known: tuple[str, ...] | None = None) -> Callable:
    def register(compiler: Callable) -> Callable:
        for name in names:
            if known is not None and name not in known:
                raise ValueError(f"{name!r} is not a rule kind: the kinds are {', '.join(known)}")
            if name in registry:
                raise ValueError(f"{name!r} has a compiler already: {registry[name].__name__}")
            registry[name] = compiler
        return compiler
    return register


def rule_compiler(*kinds: str) -> Callable[[RuleCompiler], RuleCompiler]:
    """Register the decorated function as the compiler of these rule kinds."""
    return _register(RULE_COMPILERS, kinds, RULE_KINDS)


def check_compiler(*rules: str) -> Callable[[CheckCompiler], CheckCompiler]:
    """Register the decorated function as the compiler of these column checks (by their rule)."""
    return _register(CHECK_COMPILERS, rules)


def frame_check_compiler(*rules: str) -> Callable[[FrameCheckCompiler], FrameCheckCompiler]:
    """Register the decorated function as the compiler of these row-wide checks (by their rule)."""
    return _register(FRAME_CHECK_COMPILERS, rules)


def _statistics(check: pa.Check) -> dict[str, Any]:
    """The check's statistics (pandera types them Optional; our checks always set them)."""
    return check.statistics or {}


# -- rule kinds ---------------------------------------------------------------------------------
@rule_compiler("columns_present", "unexpected_columns", "unique", "duplicate_rows")
def counted_by_a_pass(plan: Plan, rule: Rule) -> None:
    """Not row-local: the passes count these (column names, repeated values, repeated rows)."""
    return None


@rule_compiler("type")
def value_does_not_parse(plan: Plan, rule: Rule) -> str:
    """A value present as text whose parsed value is NULL."""
    assert rule.column is not None, "a type rule names its column"
    raw = plan.q(rule.column)
    return f"({raw} IS NOT NULL AND {plan.parsed[rule.column][0]} IS NULL)"


@rule_compiler("not_null")
def value_missing(plan: Plan, rule: Rule) -> str:
    """A missing value."""
    assert rule.column is not None, "a not_null rule names its column"
    return f"{plan.q(rule.column)} IS NULL"


@rule_compiler("column_check")
def column_check(plan: Plan, rule: Rule) -> str:
    """The column check's own compiler (:func:`check_compiler`)."""
    assert rule.column is not None and rule.check is not None, "a column check names its column and check"
    rule_name = check_rule(rule.check)
    if rule_name not in CHECK_COMPILERS:
        raise NotImplementedError(f"check {rule.check.name!r} has no SQL form: give it a 'rule' in its statistics")
    return CHECK_COMPILERS[rule_name](plan, rule.column, rule.check)


@rule_compiler("frame_check")
def frame_check(plan: Plan, rule: Rule) -> str | None:
    """The row-wide check's own compiler (:func:`frame_check_compiler`)."""
    assert rule.check is not None, "a frame_check rule carries its check"
    rule_name = (rule.check.statistics or {}).get("rule")
    if rule_name not in FRAME_CHECK_COMPILERS:
        raise NotImplementedError(f"row-wide check {rule.check.name!r} has no SQL form")
    return FRAME_CHECK_COMPILERS[rule_name](plan, rule.check)


# -- column checks (NULL values never fail: pandera skips them) ---------------------------------
@check_compiler("fullmatch")
def not_matching(plan: Plan, column: str, check: pa.Check) -> str:
    """The whole value does not match the check's pattern."""
    d = plan.dialect
    return f"NOT {d.fullmatch(plan.value_of(column), d.literal(_statistics(check)['pattern']))}"


@check_compiler("isin")
def not_allowed(plan: Plan, column: str, check: pa.Check) -> str:
    """A value outside the allowed ones (ours, ``one_of``, and pandera's built-in ``Check.isin``)."""
    stats = _statistics(check)
    allowed = stats.get("values", stats.get("allowed_values", []))
    return f"{plan.value_of(column)} NOT IN ({', '.join(plan.dialect.literal(v) for v in allowed)})"


@check_compiler("notin")
def forbidden(plan: Plan, column: str, check: pa.Check) -> str:
    """A forbidden value (pandera's ``Check.notin``)."""
    values = ", ".join(plan.dialect.literal(v) for v in _statistics(check)["forbidden_values"])
    return f"{plan.value_of(column)} IN ({values})"


@check_compiler("time_between")
def outside_time_range(plan: Plan, column: str, check: pa.Check) -> str:
    """A timestamp before ``start`` or at or after ``end``."""
    value, stats, d = plan.value_of(column), _statistics(check), plan.dialect
    return f"({value} < {d.timestamp_literal(stats['start'])} OR {value} >= {d.timestamp_literal(stats['end'])})"


@check_compiler("time_before")
def not_before(plan: Plan, column: str, check: pa.Check) -> str:
    """A timestamp at or after ``end``."""
    return f"{plan.value_of(column)} >= {plan.dialect.timestamp_literal(_statistics(check)['end'])}"


@check_compiler("in_reference")
def not_in_reference(plan: Plan, column: str, check: pa.Check) -> str:
    """A value that the reference's ids do not hold (its lookup joined by :meth:`Plan.with_lookups`)."""
    statistics = _statistics(check)
    table = reference_tables(plan.references)[(statistics["dataset"], statistics["key"])]
    alias = next(a for c, t, a in plan.reference_joins if c == column and t == table)
    return f"({plan.value_of(column)} IS NOT NULL AND {alias}_id IS NULL)"


_COMPARISONS = {"greater_than": ">", "greater_than_or_equal_to": ">=", "less_than": "<",
                "less_than_or_equal_to": "<=", "equal_to": "=", "not_equal_to": "<>"}


@check_compiler(*_COMPARISONS)
def failed_comparison(plan: Plan, column: str, check: pa.Check) -> str:
    """pandera's built-in comparisons with a bound."""
    stats = check.statistics or {}
    bound = stats.get("min_value", stats.get("max_value", stats.get("value")))
    return f"NOT ({plan.value_of(column)} {_COMPARISONS[check_rule(check)]} {plan.dialect.literal(bound)})"


@check_compiler("in_range")
def out_of_range(plan: Plan, column: str, check: pa.Check) -> str:
    """pandera's built-in ``in_range`` (bounds included unless it says otherwise)."""
    value, stats, d = plan.value_of(column), check.statistics or {}, plan.dialect
    low = ">=" if stats.get("include_min", True) else ">"
    high = "<=" if stats.get("include_max", True) else "<"
    return f"NOT ({value} {low} {d.literal(stats['min_value'])} AND {value} {high} {d.literal(stats['max_value'])})"


# -- row-wide checks ----------------------------------------------------------------------------
@frame_check_compiler("present_unless")
def missing_unless(plan: Plan, check: pa.Check) -> str | None:
    """``column`` missing while ``other`` is not ``value`` (None when either column is absent)."""
    stats = _statistics(check)
    if stats["column"] not in plan.columns or stats["other"] not in plan.columns:
        return None
    value, other = plan.value_of(stats["column"]), plan.value_of(stats["other"])
    return f"({value} IS NULL AND ({other} IS NULL OR {other} <> {plan.dialect.literal(stats['value'])}))"


def compile_rules(plan: Plan) -> list[RuleSql]:
    """Each rule of the schema as it applies to the partition's columns, with its SQL (a rule on a
    column the partition lacks has none: the columns-present rule reports the column)."""
    compiled = []
    present = set(plan.columns)
    for rule in expected_checks(plan.schema, plan.columns):
        if rule.column is not None and rule.column not in present:
            compiled.append(RuleSql(rule, None, None))
            continue
        value = plan.q(rule.column) if rule.column is not None else None
        compiled.append(RuleSql(rule, RULE_COMPILERS[rule.kind](plan, rule), value))
    return compiled
