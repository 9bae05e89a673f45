"""The passes that profile a partition's ``typed`` table: top values, charts and segments.

One group-by per text column gives its distinct count and most frequent values together (a
``unique`` column's from its table of repeated values); the dataset's charts and the volume and
missing values per segment (one grouped pass for every segment, grouping sets) follow the
reference (pandas) engine's numbers (:mod:`recomart_assets.quality.engines.profiling`).
"""

from __future__ import annotations

import numpy as np

from recomart_assets import datasets
from recomart_assets.datasets import Chart
from recomart_assets.quality.engines.outcome import HOURS, MAX_SEGMENT_VALUES, column_type
from recomart_assets.quality.engines.profiling import HISTOGRAM_BINS, TOP_VALUES, chart_label
from recomart_assets.quality.engines.sql.compiler import CATEGORY_TABLE, ROW, Found, Plan, RuleSql
from recomart_assets.quality.engines.sql.dialect import SqlRunner

CHART_TOP = 15


class SqlProfiles:
    """The profile passes of one partition through ``runner``, filling ``found`` (its row count and
    non-null counts from the checks' main pass)."""

    def __init__(self, runner: SqlRunner, plan: Plan, found: Found):
        self.runner = runner
        self.plan = plan
        self.d = plan.dialect
        self.found = found
        self.tops: dict[str, list[tuple]] = {}  # text column -> its most frequent values and counts
        self.hour_counts: dict[str, dict[int, int]] = {}  # typed time column -> rows per UTC hour (main pass)

    def _top(self, expression: str, limit: int, source: str = "typed") -> tuple[list[tuple], int]:
        return self._tops([(expression, source, limit)])[0]

    def _tops(self, requests: list[tuple[str, str, int]]) -> list[tuple[list[tuple], int]]:
        """For each ``(text expression, source, limit)``: the ``limit`` most frequent non-null values
        (ties: first appearance) and the distinct count; one query for all (one job on Spark)."""
        if not requests:
            return []
        parts = []
        for index, (expression, source, limit) in enumerate(requests):
            # a top-N (ORDER BY ... LIMIT) rather than row_number() over every group: no full sort of a
            # column with millions of distinct values
            parts.append(
                f"SELECT * FROM (SELECT {index} AS k, v, n, first, count(*) OVER () AS total FROM "
                f"(SELECT CAST({expression} AS STRING) AS v, count(*) AS n, min({ROW}) AS first FROM {source} "
                f"WHERE {expression} IS NOT NULL GROUP BY {expression}) g ORDER BY n DESC, first LIMIT {limit}) t{index}")
        found: dict[int, list[tuple]] = {index: [] for index in range(len(requests))}
        for k, v, n, first, total in self.runner.rows(" UNION ALL ".join(parts)):
            found[int(k)].append((int(n), int(first), v, int(total)))
        results = []
        for index in range(len(requests)):
            rows = sorted(found[index], key=lambda r: (-r[0], r[1]))
            results.append(([(v, n) for n, _, v, _ in rows], rows[0][3] if rows else 0))
        return results

    def text_columns(self, compiled: list[RuleSql]) -> None:
        """Distinct count and most frequent values of every text column, from one group-by each (for a
        ``unique`` column, from its table of repeated values)."""
        rows = self.found.rows
        uniques = {item.rule.column: item.unique_table for item in compiled if item.unique_table}
        segment_columns = {s.column for s in datasets.get(self.plan.dataset).segments if not s.through_catalog}
        text = [c for c in self.plan.columns if c not in self.plan.parsed]
        grouped = [c for c in text if c not in uniques]
        limits = {c: MAX_SEGMENT_VALUES if c in segment_columns else CHART_TOP for c in text}
        tops = dict(zip(grouped, self._tops([(self.plan.q(c), "typed", limits[c]) for c in grouped]), strict=True))
        for column in text:
            if column in uniques:
                top, distinct = self._top_of_unique(column, uniques[column], limits[column])
            else:
                top, distinct = tops[column]
            profile = self.found.columns[column]
            profile["distinct_count"] = distinct
            if distinct and distinct < rows:
                profile["top_values"] = [{"value": str(v), "count": n} for v, n in top[:TOP_VALUES]]
            self.tops[column] = top

    def _top_of_unique(self, column: str, table: str, limit: int) -> tuple[list[tuple], int]:
        """Repeated values first (most repeated, then first seen), then single values in row order."""
        q = self.plan.q(column)
        repeated = [(v, int(n)) for v, n in self.runner.rows(f"SELECT v, n FROM {table} ORDER BY n DESC, first LIMIT {limit}")]
        extra = self.runner.rows(f"SELECT coalesce(sum(n - 1), 0) FROM {table}")[0][0]
        distinct = self.found.present[column] - int(extra)
        if len(repeated) < limit:
            singles = self.runner.rows(
                f"SELECT typed.{q} FROM typed LEFT JOIN {table} u ON typed.{q} = u.v WHERE typed.{q} IS NOT NULL "
                f"AND u.v IS NULL ORDER BY typed.{ROW} LIMIT {limit - len(repeated)}")
            repeated += [(v, 1) for (v,) in singles]
        return repeated, distinct

    def _category_source(self, column: str) -> str:
        return (f"(SELECT typed.{ROW}, c.category AS v FROM typed JOIN {CATEGORY_TABLE} c "
                f"ON typed.{self.plan.q(column)} = c.product_id) s")

    def _counts(self, chart: Chart) -> dict:
        plan = self.plan
        if chart.column not in plan.columns:
            return {"kind": "counts", "labels": [], "values": []}
        if chart.kind == "per_category":
            if not plan.has_categories:
                return {"kind": "counts", "labels": [], "values": []}
            top, _ = self._top("v", CHART_TOP, source=self._category_source(chart.column))
        elif chart.order:
            value = plan.value_of(chart.column)
            if all(isinstance(v, float) for v in chart.order):
                value = self.d.round_half_even(value)
            tally = dict(self.runner.rows(f"SELECT {value}, count(*) FROM typed WHERE {value} IS NOT NULL GROUP BY {value}"))
            top = [(v, int(tally.get(v, 0))) for v in chart.order]
        elif chart.column in plan.parsed:
            top, _ = self._top(plan.value_of(chart.column), CHART_TOP)
        else:
            top = self.tops[chart.column][:CHART_TOP]
        return {"kind": "counts", "labels": [chart_label(v) for v, _ in top], "values": [n for _, n in top]}

    def _histogram(self, column: str) -> dict:
        """numpy's ``histogram`` (20 equal bins over the finite values), computed in SQL."""
        empty = {"kind": "histogram", "edges": [], "counts": []}
        if column not in self.plan.parsed:
            return empty
        value = self.plan.value_of(column)
        finite = f"{value} IS NOT NULL AND NOT {self.d.is_infinite(value)}"
        low, high = self.runner.rows(f"SELECT min({value}), max({value}) FROM typed WHERE {finite}")[0]
        if low is None:
            return empty
        edges = np.histogram_bin_edges(np.array([low, high], dtype="float64"), bins=HISTOGRAM_BINS)
        bins = HISTOGRAM_BINS
        first, width = float(edges[0]), float(edges[-1]) - float(edges[0])

        def edge(index: str) -> str:
            return "CASE " + " ".join(f"WHEN {index} = {i} THEN {self.d.literal(float(e))}"
                                      for i, e in enumerate(edges)) + " END"

        # numpy's bin guess, then its correction against the exact edges (the last bin is closed)
        guess = (f"least(CAST(floor((({value} - {self.d.literal(first)}) / {self.d.literal(width)}) * {bins}) "
                 f"AS BIGINT), {bins - 1})")
        query = (f"SELECT b, count(*) FROM (SELECT CASE WHEN x < {edge('k')} THEN k - 1 "
                 f"WHEN x >= {edge('k + 1')} AND k <> {bins - 1} THEN k + 1 ELSE k END AS b FROM "
                 f"(SELECT {value} AS x, {guess} AS k FROM typed WHERE {finite}) a) f GROUP BY b")
        tally = dict(self.runner.rows(query))
        return {"kind": "histogram", "edges": [round(float(e), 4) for e in edges],
                "counts": [int(tally.get(b, 0)) for b in range(bins)]}

    def _per_hour(self, column: str) -> dict:
        hours = self.hour_counts[column]
        return {"kind": "counts", "labels": [str(h) for h in range(24)], "values": [hours.get(h, 0) for h in range(24)]}

    def hour_columns(self) -> list[str]:
        """The typed columns whose rows per UTC hour the profiles need (the time column's segment, the
        per-hour charts), in order."""
        spec = datasets.get(self.plan.dataset)
        wanted = [spec.time_column] + [c.column for c in spec.charts if c.kind == "per_hour"]
        return [c for c in dict.fromkeys(wanted) if c is not None and c in self.plan.parsed]

    def hour_aggregates(self) -> list[str]:
        """Rows per UTC hour of each of :meth:`hour_columns` as one aggregate each (``hours<i>``), for
        the checks' main pass: it parses the timestamps anyway, where a group-by of their own parsed
        every one again (a 4M-event day from its columnar copies: 0.7 s of CPU, 8 % of a profile of
        the whole report)."""
        return [f"{self.d.hour_counts(self.d.hour_of_day(self.plan.value_of(c)))} AS hours{index}"
                for index, c in enumerate(self.hour_columns())]

    def take_hours(self, values: dict) -> None:
        """The main pass's :meth:`hour_aggregates` (its values by name; a map of hour -> rows, NULL
        when no row has a value)."""
        for index, column in enumerate(self.hour_columns()):
            self.hour_counts[column] = {int(h): int(n) for h, n in (values[f"hours{index}"] or {}).items() if n}

    def charts(self) -> None:
        """The dataset's charts (histograms, counts, per hour, per category), as the pandas engine draws them."""
        for chart in datasets.get(self.plan.dataset).charts:
            if chart.kind == "histogram":
                self.found.distributions[chart.title] = self._histogram(chart.column)
            elif chart.kind == "per_hour":
                self.found.distributions[chart.title] = (
                    self._per_hour(chart.column) if chart.column in self.plan.parsed
                    else self._counts(Chart(chart.title, "counts", chart.column, tuple(range(24)))))
            else:
                self.found.distributions[chart.title] = self._counts(chart)

    def segments(self) -> None:
        """Volume and missing values per segment value: one grouped pass for every segment (grouping
        sets; a catalog segment through a join to the day's categories). Only columns with a missing
        value in the partition are counted per segment (the others have none in any segment): a
        per-group count of a text column reads every string, most of this pass's time."""
        spec = datasets.get(self.plan.dataset)
        if spec.time_column and spec.time_column in self.plan.parsed:
            hours = self.hour_counts[spec.time_column]
            self.found.segments["hour"] = {label: hours.get(h, 0) for h, label in enumerate(HOURS)}
        keys: dict[str, str] = {}  # segment -> its key column in the grouped pass
        joins = ""
        for segment in spec.segments:
            if segment.column not in self.plan.columns:
                continue
            if segment.through_catalog and not self.plan.has_categories:
                self.found.segments[segment.name] = {}
                self.found.segment_nulls[segment.name] = {}
                continue
            key = f"__segment{len(keys)}"
            if segment.through_catalog:
                joins += (f" LEFT JOIN {CATEGORY_TABLE} {key}_c ON typed.{self.plan.q(segment.column)} = "
                          f"{key}_c.product_id")
                keys[segment.name] = f"{key}_c.category AS {key}"
            else:
                keys[segment.name] = f"typed.{self.plan.q(segment.column)} AS {key}"
        if not keys:
            return
        names = [f"__segment{index}" for index in range(len(keys))]
        with_nulls = [c for c in self.plan.columns if self.found.present[c] < self.found.rows]
        nulls = "".join(f", count(*) - count({self.plan.q(c)})" for c in with_nulls)
        source = f"(SELECT typed.*, {', '.join(keys.values())} FROM typed{joins}) s"
        sets = ", ".join(f"({name})" for name in names)
        groupings = ", ".join(f"grouping({name})" for name in names)
        found: dict[int, list[tuple]] = {index: [] for index in range(len(names))}
        for row in self.runner.rows(f"SELECT {', '.join(names)}, {groupings}, count(*), min({ROW}){nulls} "
                                    f"FROM {source} GROUP BY GROUPING SETS ({sets})"):
            values, grouped, (n, first), tally = (row[:len(names)], row[len(names):2 * len(names)],
                                                  row[2 * len(names):2 * len(names) + 2], row[2 * len(names) + 2:])
            index = list(grouped).index(0)
            if values[index] is not None:
                found[index].append((int(n), int(first), values[index], tally))
        for index, name in enumerate(keys):
            rows = sorted(found[index], key=lambda r: (r[0], -r[1]), reverse=True)[:MAX_SEGMENT_VALUES]
            self.found.segments[name] = {str(v): n for n, _, v, _ in rows}
            self.found.segment_nulls[name] = {
                str(v): {c: 0 for c in self.plan.columns} | {c: int(k) for c, k in zip(with_nulls, tally, strict=True)}
                for _, _, v, tally in rows}

    def column_types(self) -> dict[str, str]:
        """The parsed type of every column (``string`` for text)."""
        return {c: column_type(self.plan.parsed[c][1] if c in self.plan.parsed else None) for c in self.plan.columns}
