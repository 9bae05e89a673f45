"""The Data Quality Report of one partition as one self-contained HTML page.

Rendered from the same results dict the JSON is written from (the page never recomputes a number):
every figure it shows is a ``<data value="...">`` element whose ``value`` is the JSON's value as
JSON writes it and whose ``data-json`` is its JSON pointer (RFC 6901) into
``data_quality_report.json``, so a test or a scraper reads the numbers back and compares them.
Jinja2 autoescapes everything: dataset, column and check names, samples and acknowledgement texts
are data and may hold anything (``<script>``, quotes). Charts are inline SVG (:mod:`.svg`); the
page loads nothing (no script, no font, no image) and its Content-Security-Policy forbids it to.
Samples are the JSON's capped samples, nothing more of the raw rows.
"""

from __future__ import annotations

from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from recomart_assets.quality.contract import Results, TrendPoint
from recomart_assets.quality.report.findings import NOTHING, findings, summary
from recomart_assets.quality.report.html import svg

# Nothing may load: no script, no remote style, font, image or frame; the page's own <style> only.
# (frame-ancestors is ignored in a <meta> policy, so it is not set.)
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
STATUSES = ("pass", "warn", "fail", "missing")
SAMPLE_CHARS = 200
STATUS_COLOURS = {"pass": "#2e7d32", "warn": "#ef6c00", "fail": "#c62828", "missing": "#757575"}


def pointer(key: object) -> str:
    """``key`` as one reference token of a JSON pointer (``~`` -> ``~0``, ``/`` -> ``~1``)."""
    return str(key).replace("~", "~0").replace("/", "~1")


def json_value(value: Any) -> str:
    """``value`` as the JSON file writes it (orjson), for a ``<data value>`` attribute."""
    return orjson.dumps(value).decode()


def number(value: Any) -> str:
    """A count with thousands separators; other values as they are."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.6g}" if isinstance(value, float) else str(value)


def percent(share: float | None) -> str:
    """A share of rows as a percentage, as the PDF shows it."""
    return "-" if share is None else f"{100 * share:.2f}%"


def clip(value: Any, size: int = SAMPLE_CHARS) -> str:
    """Long text (a sample holding a whole row) cut to ``size`` characters."""
    text = str(value)
    return text if len(text) <= size else text[: size - 1] + "\u2026"


def environment() -> Environment:
    """The Jinja2 environment of the report's templates: autoescaping on, undefined names an error."""
    env = Environment(loader=PackageLoader("recomart_assets.quality.report.html", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(pointer=pointer, json_value=json_value, number=number, percent=percent, clip=clip)
    env.globals.update(csp=CSP, statuses=STATUSES)
    return env


def _charts(results: Results) -> dict[str, dict[str, Any]]:
    charts: dict[str, dict[str, Any]] = {}
    for name, entry in results["datasets"].items():
        columns = entry["columns"]
        distributions = []
        for title, d in list(entry["distributions"].items())[:4]:
            chart = (svg.histogram_chart(d["edges"], d["counts"], title) if d.get("kind") == "histogram"
                     else svg.bar_chart(d.get("labels", []), d.get("values", []), title))
            distributions.append((title, chart))
        charts[name] = {
            "missing": svg.hbar_chart(list(columns), [100 * (m.get("null_share") or 0) for m in columns.values()],
                                      "Missing values (% of rows)", unit="%"),
            "distributions": distributions if entry["status"] != "missing" else [],
        }
    return charts


def render_html(results: Results, earlier: list[TrendPoint], pdf_name: str, json_name: str) -> bytes:
    """The page's UTF-8 bytes for ``results`` (this partition) and ``earlier`` partitions' trend figures;
    ``pdf_name`` and ``json_name`` are the sibling files it links to."""
    series: list[Any] = [*earlier, results]
    days = [point["partition"] for point in series]
    names = list(results["datasets"])
    integrity = results["integrity"]
    template = environment().get_template("report.html.j2")
    return template.render(
        r=results, pdf_name=pdf_name, json_name=json_name, charts=_charts(results),
        findings=findings(results), changes_summary=summary(results), nothing=NOTHING,
        integrity_chart=svg.hbar_chart(
            [f"{i['dataset']}.{i['column']} -> {i['reference']}" for i in integrity],
            [100 * i["unmatched_share"] for i in integrity], "Unmatched ids (% of ids checked)", unit="%",
            colours=[STATUS_COLOURS.get(i["status"], "#757575") for i in integrity]),
        trend_days=days,
        trend_rows=svg.line_chart([d[5:] for d in days], {
            n: [p["datasets"].get(n, {}).get("row_count", 0) for p in series] for n in names}, "Rows per dataset"),
        trend_failures=svg.line_chart([d[5:] for d in days], {
            n: [100 * (p["datasets"].get(n, {}).get("failure_rate") or 0) for p in series] for n in names},
            "Failed rows (% of rows)"),
    ).encode()
