"""The passes that count every rule's failures on a partition's ``typed`` table, and their samples.

Semantics follow the reference (pandas) engine: values that do not parse count for the type rule
only; checks ignore missing values; ``unique`` ignores missing values and reports every
occurrence but the first; duplicate rows compare the required columns' parsed values, missing
equal to missing; row numbers, ties and samples follow file order. Work per partition: one
aggregate pass for counts, nulls, distincts and ranges (:meth:`SqlValidation._main_pass`);
duplicates looked for only among rows whose key repeats; small queries for the samples of failing
rules. The profiles, charts and segments are :mod:`.profiles`' passes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recomart_assets.quality.engines.outcome import InputFile, Outcome
from recomart_assets.quality.engines.sql.compiler import ROW, Found, Plan, RuleSql
from recomart_assets.quality.engines.sql.dialect import SqlRunner
from recomart_assets.quality.engines.sql.profiles import SqlProfiles
from recomart_assets.quality.engines.sql.rule_compilers import compile_rules
from recomart_assets.quality.rules.checks import (
    MAX_SAMPLES,
    DatasetValidation,
    judged,
    sample_text,
    skipped_references,
    worst,
)
from recomart_assets.quality.rules.schemas import TIMESTAMP

# Failing rows fetched to find the first few distinct row-wide samples.
ROW_SAMPLE_SCAN = 50


def _scalar(value: Any, is_time: bool = False) -> object:
    """A min/max as the reference engine writes it (timestamps, given in epoch microseconds, as ISO 8601 UTC)."""
    if is_time:
        return pd.Timestamp(int(value), unit="us", tz="UTC").isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


class SqlValidation:
    """Run the compiled schema of one partition (the table ``typed``) through ``runner``."""

    def __init__(self, runner: SqlRunner, plan: Plan, fail_rate: float, exact_distinct_rows: int):
        self.runner = runner
        self.plan = plan
        self.d = plan.dialect
        self.fail_rate = fail_rate
        self.exact_distinct_rows = exact_distinct_rows
        self.found = Found()
        self.distinct_method = "exact"
        self.profiles = SqlProfiles(runner, plan, self.found)

    def run(self) -> tuple[DatasetValidation, Found]:
        """Every rule's result (in the rules' order) and what the passes found for the profiles."""
        plan = self.plan
        compiled = compile_rules(plan)
        rows = self.runner.rows("SELECT count(*) FROM typed")[0][0]
        self.found.rows = rows
        self.distinct_method = "exact" if rows <= self.exact_distinct_rows else "hll"
        key_failures = self._uniques(compiled)
        dup_rows = self._duplicate_rows(compiled, key_failures)
        self._main_pass(compiled, key_failures or dup_rows)
        self.profiles.text_columns(compiled)
        self._samples(compiled)
        self.profiles.charts()
        self.profiles.segments()
        results = []
        for item in compiled:
            rule = item.rule
            count = self.found.counts.get(rule.name, 0)
            samples, sample_rows = self.found.samples.get(rule.name, ([], []))
            results.append(judged(rule, count, rows, self.fail_rate, samples, sample_rows))
        results.extend(skipped_references(plan.dataset, plan.references))
        validation = DatasetValidation(plan.dataset, plan.day, worst(r.status for r in results), rows, results,
                                       failed_rows=self.found.failed_rows)
        return validation, self.found

    def _uniques(self, compiled: list[RuleSql]) -> bool:
        """``unique`` rules: repeated non-null values (every occurrence but the first fails).

        Repeated 64-bit hashes first (numbers: cheap to sort or group), then every occurrence of those
        hashes' values with its row (a few rows: the occurrences table), then the exact repeated
        values from it. The failing rows and their samples are read from the occurrences, so no
        later pass joins the whole partition to the repeated values again."""
        any_failures = False
        for index, item in enumerate(compiled):
            if item.rule.kind != "unique" or item.rule.column not in self.plan.columns:
                continue
            column = self.plan.q(item.rule.column)
            table, occurrences = f"__dup{index}", f"__dup{index}_rows"
            hashed = self.d.hash64(column)
            repeated = self.d.repeated(hashed, f"typed WHERE {column} IS NOT NULL")
            self.runner.create_temp(occurrences, f"SELECT {column} AS v, {ROW} FROM typed "
                                                 f"WHERE {column} IS NOT NULL AND {hashed} IN ({repeated})")
            self.runner.create_temp(table, f"SELECT v, count(*) AS n, min({ROW}) AS first FROM {occurrences} "
                                           f"GROUP BY v HAVING count(*) > 1")
            total = self.runner.rows(f"SELECT coalesce(sum(n - 1), 0), count(*) FROM {table}")[0]
            self.found.counts[item.rule.name] = int(total[0])
            item.unique_table, item.occurrences_table = table, occurrences
            any_failures |= bool(total[0])
        return any_failures

    @staticmethod
    def _repeats(item: RuleSql) -> tuple[str, str]:
        """``(source, condition)`` of a ``unique`` rule's failing occurrences (all but each value's
        first): the occurrences table read as ``typed`` (the samples' queries read ``typed.__row``),
        ``u`` their value's entry in the table of repeated values."""
        return (f"{item.occurrences_table} typed JOIN {item.unique_table} u ON typed.v = u.v",
                f"typed.{ROW} <> u.first")

    def _unique_key(self, compiled: list[RuleSql]) -> RuleSql | None:
        required = {n for n, c in self.plan.schema.columns.items() if c.required}
        return next((i for i in compiled if i.rule.kind == "unique" and i.rule.column in required
                     and i.unique_table), None)

    def _duplicate_rows(self, compiled: list[RuleSql], key_failures: bool) -> bool:
        """Rows repeating an earlier row's required columns (parsed values), found among rows whose key
        repeats: a repeated row repeats its key too (rows without a key are candidates as well).

        With a key, the candidates' text columns are taken once into a table (a few rows: the samples
        are read from it too) and their values parsed there, not for every row of the partition."""
        item = next((i for i in compiled if i.rule.kind == "duplicate_rows"), None)
        if item is None:
            return False
        required = [n for n, c in self.plan.schema.columns.items() if c.required]
        if not set(required) <= set(self.plan.columns):
            self.found.counts[item.rule.name] = 0  # pandera does not compare rows lacking a column
            return False
        key = self._unique_key(compiled)
        if key is not None:
            assert key.rule.column is not None, "a unique rule names its column"
            column = self.plan.q(key.rule.column)
            texts = ", ".join(self.plan.q(c) for c in self.plan.columns)
            self.runner.create_temp("__dup_candidates", f"SELECT {texts}, {ROW} FROM typed WHERE {column} IS NULL "
                                                        f"OR {column} IN (SELECT v FROM {key.unique_table})")
            item.row_source = "__dup_candidates"
        values = ", ".join(self.plan.parsed_from_text(c) for c in required)
        self.runner.create_temp("__dup_rows", f"SELECT {ROW} FROM (SELECT {ROW}, row_number() OVER "
                                              f"(PARTITION BY {values} ORDER BY {ROW}) AS k FROM {item.row_source}) x "
                                              f"WHERE k > 1")
        count = self.runner.rows("SELECT count(*) FROM __dup_rows")[0][0]
        self.found.counts[item.rule.name] = int(count)
        item.row_table = "__dup_rows"
        return bool(count)

    def _flagged_rows(self, compiled: list[RuleSql]) -> str | None:
        """A query of the rows failing a rule that is not row-local (unique, duplicate rows)."""
        parts = []
        for item in compiled:
            if item.unique_table:
                source, condition = self._repeats(item)
                parts.append(f"SELECT typed.{ROW} FROM {source} WHERE {condition}")
            if item.row_table:
                parts.append(f"SELECT {ROW} FROM {item.row_table}")
        return " UNION ".join(parts) if parts else None

    def _main_pass(self, compiled: list[RuleSql], any_flagged: bool) -> None:
        """One aggregate over the partition: every row-local rule, nulls, distincts, ranges, rows per hour.

        Each rule's condition is evaluated once per row, in an inner projection (``__f<i>``), and
        both its own count and the failed-rows count read that flag.
        """
        plan = self.plan
        select = []
        local = [item for item in compiled if item.condition]
        flags = [f"coalesce({item.condition}, FALSE) AS __f{index}" for index, item in enumerate(local)]
        for index in range(len(local)):
            select.append(f"count(*) FILTER (WHERE __f{index}) AS r{index}")
        failing = [f"__f{index}" for index in range(len(local))]
        flagged = self._flagged_rows(compiled) if any_flagged else None
        source = plan.with_lookups()
        if flagged:
            self.runner.create_temp("__flagged", f"SELECT DISTINCT {ROW} AS flagged FROM ({flagged}) f")
            source += f" LEFT JOIN __flagged ON typed.{ROW} = __flagged.flagged"
            flags.append("__flagged.flagged IS NOT NULL AS __fx")
            failing.append("__fx")
        select.append(f"count(*) FILTER (WHERE {' OR '.join(failing) or 'FALSE'}) AS failed")
        for index, column in enumerate(plan.columns):
            q = plan.q(column)
            select.append(f"count({q}) AS n{index}")
            if column in plan.parsed:
                alias = plan.parsed[column][0]
                distinct = (f"count(DISTINCT {q})" if self.distinct_method == "exact"
                            else f"{self.d.approx_distinct}({q})")
                low, high = f"min({alias})", f"max({alias})"
                if plan.parsed[column][1] == TIMESTAMP:
                    low, high = self.d.epoch_micros(low), self.d.epoch_micros(high)
                select += [f"{distinct} AS d{index}", f"{low} AS lo{index}", f"{high} AS hi{index}"]
        select += self.profiles.hour_aggregates()
        source = f"(SELECT typed.*{''.join(', ' + f for f in flags)} FROM {source}) flags"
        values = dict(zip(self._names(select), self.runner.rows(f"SELECT {', '.join(select)} FROM {source}")[0],
                          strict=True))
        self.profiles.take_hours(values)
        for index, item in enumerate(local):
            self.found.counts[item.rule.name] = int(values[f"r{index}"])
        self.found.failed_rows = int(values["failed"])
        rows = self.found.rows
        for index, column in enumerate(plan.columns):
            present = int(values[f"n{index}"])
            nulls = rows - present
            self.found.present[column] = present
            profile: dict[str, object] = {"null_count": nulls, "null_share": round(nulls / rows, 6) if rows else 0.0}
            if column in plan.parsed:
                profile["distinct_count"] = int(values[f"d{index}"])
                if values[f"lo{index}"] is not None:
                    is_time = plan.parsed[column][1] == TIMESTAMP
                    profile["min"] = _scalar(values[f"lo{index}"], is_time)
                    profile["max"] = _scalar(values[f"hi{index}"], is_time)
            self.found.columns[column] = profile

    @staticmethod
    def _names(select: list[str]) -> list[str]:
        return [part.rsplit(" AS ", 1)[1] for part in select]

    def _samples(self, compiled: list[RuleSql]) -> None:
        values: list[tuple[str, str, str, str]] = []
        for item in compiled:
            rule = item.rule
            count = self.found.counts.get(rule.name, 0)
            if rule.kind == "columns_present":
                missing = [n for n, c in self.plan.schema.columns.items() if c.required and n not in self.plan.columns]
                self.found.counts[rule.name] = len(missing)
                self.found.samples[rule.name] = (missing[:MAX_SAMPLES], [])
                continue
            if rule.kind == "unexpected_columns":
                extra = [c for c in self.plan.columns if c not in self.plan.schema.columns]
                self.found.counts[rule.name] = len(extra)
                self.found.samples[rule.name] = (extra[:MAX_SAMPLES], [])
                continue
            if not count:
                continue
            if item.unique_table:  # from the occurrences: no join over the partition
                values.append((rule.name, "typed.v", *self._repeats(item)))
            elif item.row_table:  # the first failing row numbers, then just those rows (no join over the table)
                self._row_samples(rule.name, f"typed.{ROW} IN (SELECT {ROW} FROM {item.row_table} ORDER BY {ROW} "
                                             f"LIMIT {ROW_SAMPLE_SCAN})", f"{item.row_source} typed")
            elif item.value is not None:
                assert item.condition is not None, "a rule with a sample value is row-local"
                values.append((rule.name, f"typed.{item.value}", self.plan.with_lookups(item.condition), item.condition))
            elif item.condition:
                self._row_samples(rule.name, item.condition, self.plan.with_lookups(item.condition))
        self._value_samples(values)

    def _value_samples(self, requests: list[tuple[str, str, str, str]]) -> None:
        """The first few distinct failing values of each ``(rule, value, source, condition)``, one query."""
        if not requests:
            return
        parts = [f"SELECT * FROM (SELECT {index} AS k, v, first FROM (SELECT CAST({value} AS STRING) AS v, "
                 f"min(typed.{ROW}) AS first FROM {source} WHERE {condition} GROUP BY {value}) g "
                 f"ORDER BY first LIMIT {MAX_SAMPLES}) t{index}"
                 for index, (_, value, source, condition) in enumerate(requests)]
        found: dict[int, list[tuple]] = {index: [] for index in range(len(requests))}
        for k, v, first in self.runner.rows(" UNION ALL ".join(parts)):
            found[int(k)].append((int(first), v))
        for index, (name, *_) in enumerate(requests):
            rows = sorted(found[index], key=lambda r: r[0])
            self.found.samples[name] = ([sample_text(v) for _, v in rows], [r for r, _ in rows])

    def _row_samples(self, name: str, condition: str, source: str = "typed") -> None:
        columns = ", ".join(f"typed.{self.plan.q(c)}" for c in self.plan.columns)
        found = self.runner.rows(f"SELECT typed.{ROW}, {columns} FROM {source} WHERE {condition} ORDER BY typed.{ROW} "
                                 f"LIMIT {ROW_SAMPLE_SCAN}")
        samples, rows = [], []
        for row in found:
            text = ", ".join(f"{c}={sample_text(v)}" for c, v in zip(self.plan.columns, row[1:], strict=True))
            if text not in samples:
                samples.append(text)
                rows.append(int(row[0]))
        self.found.samples[name] = (samples[:MAX_SAMPLES], rows[:MAX_SAMPLES])


def sql_outcome(sql: SqlValidation, validation: DatasetValidation, found: Found, files, quarantine: tuple[int, int],
                observed: dict, engine: str) -> Outcome:
    """The :class:`Outcome` of a compiled-SQL validation (DuckDB or Spark: the same shape from either)."""
    return Outcome(
        validation=validation,
        files=[InputFile(path.name, manifest.md5) for path, manifest in files],
        bytes=sum(manifest.bytes for _, manifest in files),
        quarantined_records=quarantine[0],
        quarantine_files=quarantine[1],
        columns=found.columns,
        distributions=found.distributions,
        present=found.present,
        column_types=sql.profiles.column_types(),
        observed_schema=observed,
        segments=found.segments,
        segment_nulls=found.segment_nulls,
        distinct_method=sql.distinct_method,
        engine=engine,
    )
