"""The whole Data Quality Report for one partition: the day's validations, the JSON, the PDF.

One implementation for the ``data_quality_report`` asset and ``recomart demo``. What changed
against earlier days (anomalies, drift, freshness, acknowledgements) is added by
:func:`recomart_assets.quality.changes.what_changed.with_changes`. Each dataset's
validation comes from its metric state when that is fresh (the asset checks of the same run wrote
it), else it is validated now. The JSON, the PDF and the HTML page (:mod:`.html.page`, the same
results object rendered) go into ``reports/YYYY-MM-DD/`` with manifests, so ``recomart verify``
checks them like any data file; then ``reports/index.html`` is rewritten (:mod:`.html.index`). The
trends read earlier days' states.
Acknowledgements that silence everything are listed at the top level (``acknowledgements``) and
on the PDF's cover, so a report that cannot warn says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from upath import UPath

from recomart_assets.lake import RawZone, steps, write_data_file
from recomart_assets.lake.lineage import Derived
from recomart_assets.logs import get_logger
from recomart_assets.quality.changes.acknowledgements import read_acknowledgements, sweeping_notice
from recomart_assets.quality.changes.what_changed import ChangesConfig, with_changes
from recomart_assets.quality.contract import Results
from recomart_assets.quality.report.findings import changes_markdown
from recomart_assets.quality.report.html.index import write_index
from recomart_assets.quality.report.html.page import render_html
from recomart_assets.quality.results import REPORT_DATASET, build_results, history, write_results
from recomart_assets.quality.rules.checks import DEFAULT_FAIL_RATE
from recomart_assets.quality.states import report_writer
from recomart_assets.quality.validation import DEFAULT_ENGINE

REPORT_PDF = "data_quality_report.pdf"
REPORT_HTML = "data_quality_report.html"
HISTORY_DAYS = 30

log = get_logger("quality")

# The report's protocol (docs/protocol.md): the day's metric states, the JSON results, the PDF;
# each file atomic with its manifest after it.
steps.declare("report.states-written", "report.json-written", "report.pdf-written", "report.html-written")


@dataclass(frozen=True)
class WrittenReport:
    """Where the partition's report went, and its content."""

    json_path: UPath
    pdf_path: UPath
    results: Results
    html_path: UPath
    index_path: UPath

    @property
    def overall_status(self) -> str:
        """The report's overall status (``pass``, ``warn`` or ``fail``)."""
        return self.results["overall_status"]


def write_quality_report(
    zone: RawZone, day: date | str, fail_rate: float = DEFAULT_FAIL_RATE, history_days: int = HISTORY_DAYS,
    engine: str = DEFAULT_ENGINE, changes: ChangesConfig | None = None,
) -> WrittenReport:
    """Write ``data_quality_report.json``, ``.pdf`` and ``.html`` of ``day`` (validating what has no fresh
    state), then rewrite ``reports/index.html``."""
    # matplotlib is imported here, by the one caller that draws: every process loading the definitions
    # imports this module, and most never draw a report (see :mod:`.findings`)
    from recomart_assets.quality.report.pdf.document import render_pdf

    with report_writer(zone, day):
        day_results = build_results(zone, day, fail_rate, engine)  # writes the states it had to validate
        steps.reached("report.states-written")
        results = with_changes(zone, day_results, changes)
        results["acknowledgements"] = sweeping_notice(read_acknowledgements(zone), results["partition"])
        json_path, _ = write_results(zone, results)
        steps.reached("report.json-written")
        pdf_path = zone.reports_dir(day) / REPORT_PDF
        earlier = history(zone, day, history_days)
        write_data_file(
            pdf_path, render_pdf(results, earlier), dataset=REPORT_DATASET,
            partition=results["partition"], record_count=1, fmt="pdf",
            source=Derived(derived="quality_report", inputs={"results": json_path.name}),
        )
        steps.reached("report.pdf-written")
        html_path = zone.reports_dir(day) / REPORT_HTML
        write_data_file(
            html_path, render_html(results, earlier, REPORT_PDF, json_path.name), dataset=REPORT_DATASET,
            partition=results["partition"], record_count=1, fmt="html",
            source=Derived(derived="quality_report_html", inputs={"results": json_path.name}),
        )
        steps.reached("report.html-written")
    index = write_index(zone)  # its own lock, after the day's: reports of other days run beside this one
    log.info("quality report %s: %s (%s)", results["partition"], results["overall_status"], pdf_path)
    return WrittenReport(json_path, pdf_path, results, html_path, index)


def summary_markdown(results: Results) -> str:
    """A short markdown summary of the results (Dagster UI metadata, demo output)."""
    lines = [
        f"**Data quality {results['partition']}: {results['overall_status'].upper()}**",
        "",
        "| dataset | status | rows | duplicate rows | failed rows | quarantined | failing checks |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, entry in results["datasets"].items():
        failing = ", ".join(f"{c['name']} ({c['failure_count']})" for c in entry["checks"] if c["status"] != "pass")
        lines.append(
            f"| {name} | {entry['status']} | {entry['row_count']:,} | {entry['duplicate_rows']:,} | "
            f"{entry['failed_rows']:,} | {entry['quarantined_records']:,} | {failing.replace('|', '/') or '-'} |"
        )
    if "changes" in results:
        lines += ["", changes_markdown(results)]
    return "\n".join(lines)
