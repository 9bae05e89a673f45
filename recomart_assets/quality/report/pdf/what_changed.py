"""The report's "What changed" view in the PDF: a page right after the cover (its text, also the UI's
markdown: :mod:`recomart_assets.quality.report.findings`).

It reads only the change sections of the results (:mod:`recomart_assets.quality.changes.what_changed`), so it can be re-rendered
from the JSON alone. The page lists every finding (anomalies, schema and distribution drift,
sources missing) with its value, expected range and days compared, and whether it warns or who
acknowledged it until when; then one small chart per flagged metric: its values over the days
compared, the expected band shaded, and today's value marked. A distribution drift is drawn as
the baseline's shares beside today's. More charts than fit go on continuation pages.
"""

from __future__ import annotations

import textwrap
from functools import partial

from matplotlib.figure import Figure

from recomart_assets.quality.contract import Results
from recomart_assets.quality.report.findings import NOTHING, finding_text, findings, summary
from recomart_assets.quality.report.pdf.drawing import LIGHT, STATUS_COLOURS, axes_title, clip, table
from recomart_assets.quality.report.pdf.pages import Page, ReportWriter

CHARTS_PER_PAGE = 6
MAX_CHART_PAGES = 3


def _chart_title(dataset: str, what: str) -> str:
    lines = textwrap.wrap(what, 38, break_on_hyphens=False) or [""]
    return "\n".join([dataset, *lines[:1], *([clip(" ".join(lines[1:]), 38)] if len(lines) > 1 else [])])


def _anomaly_chart(ax, anomaly: dict) -> None:
    series = anomaly.get("series") or []
    days = [d[5:] for d, _ in series]
    values = [v for _, v in series]
    low, high = anomaly["expected_range"]
    ax.axhspan(low, high, color=LIGHT["pass"], zorder=0, label="expected")
    ax.plot(days[:-1], values[:-1], marker="o", markersize=2.5, color="#5c6bc0", linewidth=1)
    if values:
        ax.plot(days[-1:], values[-1:], marker="o", markersize=5, color=STATUS_COLOURS["fail"], linestyle="none")
    axes_title(ax, _chart_title(anomaly["dataset"], anomaly["metric"]), fontsize=6.5)
    ax.tick_params(axis="x", labelsize=5.5, rotation=90)
    ax.tick_params(axis="y", labelsize=6)


def _drift_chart(ax, change: dict) -> None:
    bins = [clip(b, 14) for b in change["bins"]]
    positions = range(len(bins))
    ax.bar([p - 0.2 for p in positions], change["expected_shares"], width=0.4, color="#9fa8da", label="baseline")
    ax.bar([p + 0.2 for p in positions], change["actual_shares"], width=0.4, color=STATUS_COLOURS["fail"],
           label="today")
    ax.set_xticks(list(positions), bins, rotation=90, fontsize=5.5)
    axes_title(ax, _chart_title(change["dataset"], f"{change['distribution']} (PSI {change['psi']:.2f})"),
               fontsize=6.5)
    ax.legend(fontsize=5.5, frameon=False)
    ax.tick_params(axis="y", labelsize=6)


def _charts(results: Results) -> list[tuple[str, dict]]:
    charts = [("anomaly", a) for a in results.get("anomalies", [])]
    charts += [("drift", d) for d in results.get("drift", {}).get("distributions", []) if d["level"] != "stable"]
    return charts


def _chart_grid(fig: Figure, charts: list[tuple[str, dict]], top: float) -> None:
    grid = fig.add_gridspec(2, 3, left=0.08, right=0.96, top=top, bottom=0.07, hspace=0.75, wspace=0.35)
    for slot, (kind, item) in enumerate(charts):
        ax = fig.add_subplot(grid[slot // 3, slot % 3])
        (_anomaly_chart if kind == "anomaly" else _drift_chart)(ax, item)


def _finding_list(fig: Figure, rows: list[dict], top: float, bottom: float) -> None:
    """One wrapped paragraph per finding, a coloured mark for whether it warns, down to ``bottom``."""
    fig.text(0.06, top, f"Findings ({len(rows)})", fontsize=9, weight="bold", va="top")
    y = top - 0.025
    for shown, row in enumerate(rows):
        lines = textwrap.wrap(finding_text(row), 125)
        height = 0.0135 * len(lines)
        if y - height < bottom:
            fig.text(0.08, y, f"... {len(rows) - shown} more in the JSON report", fontsize=7.5, va="top")
            return
        colour = STATUS_COLOURS["warn"] if row["status"].startswith("warn") else STATUS_COLOURS["pass"]
        fig.text(0.062, y, "\u25a0", color=colour, fontsize=8, va="top")
        fig.text(0.08, y, "\n".join(lines), fontsize=7.5, va="top", linespacing=1.3)
        y -= height + 0.007


def what_changed_pages(results: Results) -> list[Page]:
    """The "What changed" page and continuation pages for more charts, each a one-page drawer."""
    charts = _charts(results)
    rest = charts[CHARTS_PER_PAGE:CHARTS_PER_PAGE * MAX_CHART_PAGES]
    return [partial(_first_page, results=results, charts=charts[:CHARTS_PER_PAGE]),
            *(partial(_continued_page, results=results, charts=rest[start:start + CHARTS_PER_PAGE])
              for start in range(0, len(rest), CHARTS_PER_PAGE))]


def _first_page(writer: ReportWriter, results: Results, charts: list[tuple[str, dict]]) -> None:
    fig = writer.new_page("What changed", summary(results))
    rows = findings(results)
    if rows:
        _finding_list(fig, rows, top=0.91, bottom=0.6)
    else:
        fig.text(0.06, 0.9, NOTHING, fontsize=10, va="top")
    sources = results.get("freshness", [])
    table(fig, [0.06, 0.47, 0.88, 0.1], ["source", "status", "deadline", "first file", "files"],
           [[s["dataset"], s["status"], s["deadline"], s["arrived_at"] or "-", str(s["files"])] for s in sources],
           [0.2, 0.12, 0.26, 0.3, 0.12], title="Freshness")
    _chart_grid(fig, charts, top=0.36)
    writer.save(fig)


def _continued_page(writer: ReportWriter, results: Results, charts: list[tuple[str, dict]]) -> None:
    fig = writer.new_page("What changed (continued)", summary(results))
    _chart_grid(fig, charts, top=0.88)
    writer.save(fig)
