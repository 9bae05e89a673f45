"""The Data Quality Report as an A4 PDF, drawn with matplotlib from the partition's results.

Pages: a cover (overall status, key numbers per dataset, contents); "What changed" (anomalies,
drift, freshness: :mod:`.what_changed`); per dataset a page of
metrics, missing values and failed checks with samples, and a page of distributions; cross-table
integrity; ingestion figures; trends over earlier partitions. Everything is read from the results
dict (the JSON report) and the earlier partitions' results, so the PDF can be re-rendered from the
JSON alone. Fonts are embedded as subset Type 3 fonts with a Unicode map, so the text (any
script) can be searched and extracted; embedding TrueType instead (``pdf.fonttype`` 42) did the
same at a third more rendering time. Each page is a one-page drawer (:data:`~.pages.Page`),
so :mod:`.pages` can draw them on two cores and join them in order.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from recomart_assets.quality.contract import DatasetEntry, Results, TrendPoint
from recomart_assets.quality.report.pdf.drawing import STATUS_COLOURS, axes_title, clip, table
from recomart_assets.quality.report.pdf.pages import Page, ReportWriter, render
from recomart_assets.quality.report.pdf.what_changed import what_changed_pages


def _number(value: float | int) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def _percent(share: float) -> str:
    return f"{100 * share:.2f}%"


def _size(nbytes: int) -> str:
    size = float(nbytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return str(size)


def _chart(ax, title: str, distribution: dict) -> None:
    axes_title(ax, title)
    if distribution["kind"] == "histogram":
        edges, counts = distribution["edges"], distribution["counts"]
        if counts:
            ax.stairs(counts, edges, fill=True, color="#5c6bc0")
    else:
        labels, values = distribution["labels"], distribution["values"]
        if values:
            ax.bar(range(len(values)), values, color="#5c6bc0")
            step = 3 if len(labels) > 16 else 1  # 24 hours: label every third
            ax.set_xticks(range(0, len(labels), step), [clip(label, 12) for label in labels[::step]],
                          rotation=45 if 6 < len(labels) <= 16 else 0, ha="right" if 6 < len(labels) <= 16 else "center")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if not distribution.get("counts") and not distribution.get("values"):
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color="#777777")
    ax.set_ylabel("records")


def _status_badge(fig: Figure, x: float, y: float, status: str, size: int = 20) -> None:
    fig.text(x, y, f" {status.upper()} ", fontsize=size, weight="bold", color="white", va="top",
             bbox={"boxstyle": "round,pad=0.4", "facecolor": STATUS_COLOURS[status], "edgecolor": "none"})


def cover_page(writer: ReportWriter, results: Results) -> None:
    """The cover: overall status, key numbers per dataset, contents."""
    fig = writer.new_page("RecoMart Data Quality Report", f"Partition {results['partition']} (UTC day) - generated {results['generated_at']}")
    fig.text(0.06, 0.885, "Overall status", fontsize=11)
    _status_badge(fig, 0.24, 0.893, results["overall_status"])
    summary = results["summary"]
    fig.text(0.06, 0.83, (
        f"{_number(summary['rows'])} rows in {len(results['datasets'])} datasets  |  {summary['checks']} checks: "
        f"{summary['checks_failed']} failed, {summary['checks_warned']} warned  |  "
        f"{_number(summary['quarantined_records'])} quarantined records  |  {summary['datasets_missing']} datasets missing"
    ), fontsize=9)
    if (notice := results.get("acknowledgements", {}).get("warning")):
        fig.text(0.42, 0.893, textwrap.fill(f"Warning: {notice}.", 62), fontsize=8, weight="bold",
                 color=STATUS_COLOURS["warn"], va="top")
    rows = []
    for name, entry in results["datasets"].items():
        failing = sum(c["status"] == "fail" for c in entry["checks"])
        warning = sum(c["status"] == "warn" for c in entry["checks"])
        rows.append([name, entry["status"], _number(entry["row_count"]), _number(entry["duplicate_rows"]),
                     _number(entry["failed_rows"]), _percent(entry["failure_rate"]), f"{failing} / {warning}",
                     _number(entry["quarantined_records"])])
    table(fig, [0.06, 0.58, 0.88, 0.22],
           ["dataset", "status", "rows", "duplicate rows", "failed rows", "failure rate", "checks fail / warn", "quarantined"],
           rows, [0.2, 0.09, 0.12, 0.12, 0.11, 0.11, 0.14, 0.11], status_col=1, title="Key numbers per dataset")
    contents = ["Contents", "  Cover: overall status and key numbers"]
    contents += ["  What changed: anomalies, schema and distribution drift, freshness"] if "changes" in results else []
    contents += [f"  {name}: metrics, missing values, failed checks; distributions" for name in results["datasets"]]
    contents += ["  Cross-table integrity", "  Ingestion: files, bytes, quarantined records", "  Trends over earlier partitions"]
    fig.text(0.06, 0.5, "\n".join(contents), fontsize=9, va="top", linespacing=1.6)
    fig.text(0.06, 0.2, textwrap.fill(
        "Statuses: pass = no failures; warn = failures within the check's threshold (share of rows), or a "
        "dataset missing for the day; fail = a schema mismatch (missing or unexpected columns) or failures "
        "above the threshold. Failed rows are rows with at least one failing value.", 110), fontsize=8,
        color="#444444", va="top")
    writer.save(fig)


def _subtitle(entry: DatasetEntry) -> str:
    return (f"status {entry['status']} - {_number(entry['row_count'])} rows, {entry['files']} files "
            f"({_size(entry['bytes'])}), {_number(entry['duplicate_rows'])} duplicate rows, "
            f"{_number(entry['failed_rows'])} failed rows ({_percent(entry['failure_rate'])}), "
            f"{_number(entry['quarantined_records'])} quarantined")


def metrics_page(writer: ReportWriter, name: str, entry: DatasetEntry) -> None:
    """A dataset's column metrics, missing values and failed or warned checks with samples."""
    fig = writer.new_page(f"{name}: metrics and checks", _subtitle(entry))
    _status_badge(fig, 0.8, 0.97, entry["status"], size=12)
    if entry["status"] == "missing":
        detail = entry["checks"][0].get("detail", "")
        fig.text(0.06, 0.85, f"Dataset missing for this partition: {detail}.", fontsize=11)
        writer.save(fig)
        return
    columns = entry["columns"]
    rows = [[col, _number(p["null_count"]), _percent(p["null_share"]), _number(p["distinct_count"]),
             clip(p.get("min", ""), 32), clip(p.get("max", ""), 32)] for col, p in columns.items()]
    table(fig, [0.06, 0.64, 0.88, 0.25], ["column", "nulls", "null %", "distinct", "min", "max"], rows,
           [0.2, 0.09, 0.09, 0.1, 0.26, 0.26], title="Column metrics")
    ax = fig.add_axes((0.25, 0.45, 0.65, 0.14))
    shares = [100 * p["null_share"] for p in columns.values()]
    ax.barh(range(len(columns)), shares, color="#ef6c00")
    ax.set_yticks(range(len(columns)), [clip(c, 20) for c in columns], fontsize=6)
    ax.invert_yaxis()
    axes_title(ax, "Missing values (% of rows)")
    ax.set_xlim(0, max(shares + [1.0]) * 1.15)
    problems = [c for c in entry["checks"] if c["status"] != "pass"]
    check_rows = [[clip(c["name"], 44), c["status"], c["severity"], _number(c["failure_count"]),
                   clip("; ".join(c.get("samples", [])) or c.get("detail", ""), 60)] for c in problems]
    passed = len(entry["checks"]) - len(problems)
    table(fig, [0.06, 0.06, 0.88, 0.33], ["check", "status", "severity", "failures", "samples (as received)"],
           check_rows, [0.33, 0.07, 0.08, 0.09, 0.43], status_col=1,
           title=f"Failed and warned checks ({len(problems)}; {passed} passed)")
    writer.save(fig)


def distributions_page(writer: ReportWriter, name: str, entry: DatasetEntry) -> None:
    """A dataset's charts (up to four)."""
    fig = writer.new_page(f"{name}: distributions", _subtitle(entry))
    grid = fig.add_gridspec(2, 2, left=0.1, right=0.95, top=0.88, bottom=0.1, hspace=0.45, wspace=0.3)
    for slot, (title, distribution) in zip(range(4), entry["distributions"].items(), strict=False):
        _chart(fig.add_subplot(grid[slot // 2, slot % 2]), title, distribution)
    writer.save(fig)


def dataset_pages(name: str, entry: DatasetEntry) -> list[Page]:
    """A page of metrics, missing values and failed checks; a page of distributions if it has any."""
    pages: list[Page] = [partial(metrics_page, name=name, entry=entry)]
    if entry["status"] != "missing" and entry["distributions"]:
        pages.append(partial(distributions_page, name=name, entry=entry))
    return pages


def integrity_page(writer: ReportWriter, results: Results) -> None:
    """The cross-table checks: ids against the same day's reference datasets."""
    fig = writer.new_page("Cross-table integrity",
                          "Ids in transactions, clickstream and metadata checked against the same day's catalog and customers")
    checks = results["integrity"]
    rows = [[c["dataset"], c["column"] or "", c["reference"], _number(c["checked"]), _number(c["unmatched"]),
             _percent(c["unmatched_share"]), c["status"], clip("; ".join(c["samples"]) or c.get("detail") or "", 40)]
            for c in checks]
    table(fig, [0.06, 0.6, 0.88, 0.3], ["dataset", "column", "reference", "ids checked", "unmatched", "unmatched %",
                                         "status", "samples"],
           rows, [0.15, 0.1, 0.14, 0.1, 0.1, 0.1, 0.07, 0.24], status_col=6)
    if checks:
        ax = fig.add_axes((0.3, 0.12, 0.62, 0.4))
        # two lines each, clipped: the labels are left of the axes, within the page's margin
        labels = [f"{clip(str(c['dataset']) + '.' + str(c['column']), 34)}\n-> {clip(c['reference'], 31)}"
                  for c in checks]
        ax.barh(range(len(checks)), [100 * c["unmatched_share"] for c in checks],
                color=[STATUS_COLOURS[c["status"]] for c in checks])
        ax.set_yticks(range(len(checks)), labels)
        ax.invert_yaxis()
        axes_title(ax, "Unmatched ids (% of ids checked)")
    writer.save(fig)


def ingestion_page(writer: ReportWriter, results: Results) -> None:
    """Files, bytes and quarantined records per dataset."""
    fig = writer.new_page("Ingestion", "Files, bytes and quarantined records per dataset, from the raw zone's manifests")
    datasets = results["datasets"]
    rows = [[name, _number(e["files"]), _size(e["bytes"]), _number(e["row_count"]), _number(e["quarantine_files"]),
             _number(e["quarantined_records"])] for name, e in datasets.items()]
    table(fig, [0.06, 0.7, 0.88, 0.2], ["dataset", "files", "bytes", "rows", "quarantine files", "quarantined records"],
           rows, [0.22, 0.12, 0.16, 0.16, 0.16, 0.18])
    names = list(datasets)
    bars: tuple[tuple[Literal["files", "bytes", "quarantined_records"], str], ...] = (
        ("files", "Files"), ("bytes", "Bytes"), ("quarantined_records", "Quarantined records"))
    for slot, (key, title) in enumerate(bars):
        ax = fig.add_axes((0.1 + slot * 0.3, 0.35, 0.24, 0.25))
        ax.bar(range(len(names)), [datasets[n][key] for n in names], color="#5c6bc0")
        ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
        axes_title(ax, title)
    writer.save(fig)


def trends_page(writer: ReportWriter, results: Results, earlier: list[TrendPoint]) -> None:
    """Rows, failure rates and failing checks over the earlier partitions and this one."""
    series: list[TrendPoint | Results] = [*earlier, results]
    fig = writer.new_page("Trends", f"{len(series)} partitions, {series[0]['partition']} to {series[-1]['partition']}")
    days = [r["partition"][5:] for r in series]
    panels = (("row_count", "Rows per dataset", 1), ("failure_rate", "Failed rows (% of rows)", 100))
    for slot, (key, title, scale) in enumerate(panels):
        ax = fig.add_axes((0.1, 0.6 - slot * 0.3, 0.85, 0.23))
        for name in results["datasets"]:
            points: list[Mapping[str, Any]] = [r["datasets"].get(name, {}) for r in series]
            ax.plot(days, [scale * point.get(key, 0) for point in points], marker="o", markersize=3,
                    label=name)
        axes_title(ax, title)
        ax.tick_params(axis="x", rotation=60 if len(days) > 10 else 0)
        if slot == 0:
            ax.legend(fontsize=7, ncols=3, loc="upper left", bbox_to_anchor=(0, 1.25), frameon=False)
    ax = fig.add_axes((0.1, 0.08, 0.85, 0.17))
    ax.bar(days, [r["summary"]["checks_failed"] for r in series], color=STATUS_COLOURS["fail"], label="failed")
    ax.bar(days, [r["summary"]["checks_warned"] for r in series], bottom=[r["summary"]["checks_failed"] for r in series],
           color=STATUS_COLOURS["warn"], label="warned")
    axes_title(ax, "Checks failed and warned per partition")
    ax.tick_params(axis="x", rotation=60 if len(days) > 10 else 0)
    ax.legend(fontsize=7, frameon=False)
    writer.save(fig)


def report_pages(results: Results, earlier: list[TrendPoint]) -> list[Page]:
    """Every page of the report, in order, each a one-page drawer."""
    pages: list[Page] = [partial(cover_page, results=results)]
    if "changes" in results:  # results written before change detection have no such sections
        pages += what_changed_pages(results)
    for name, entry in results["datasets"].items():
        pages += dataset_pages(name, entry)
    return [*pages, partial(integrity_page, results=results), partial(ingestion_page, results=results),
            partial(trends_page, results=results, earlier=earlier)]


def render_pdf(results: Results, earlier: list[TrendPoint]) -> bytes:
    """The report's PDF bytes for ``results`` (this partition) and ``earlier`` partitions' results."""
    return render(report_pages(results, earlier), results["partition"], {
        "/Title": f"RecoMart data quality report {results['partition']}",
        "/Subject": f"Data quality of partition {results['partition']}: {results['overall_status']}",
        "/Author": "recomart-assets",
        "/Creator": "recomart-assets (matplotlib)",
        "/CreationDate": datetime.now(UTC).strftime("D:%Y%m%d%H%M%SZ"),
    })
