"""The daily ``data_quality_report`` asset: JSON results, the HTML and PDF reports of one partition.

Downstream of the five raw assets (by key) and, through them, of their checks. The shared
implementation is :func:`recomart_assets.quality.write_quality_report`; this asset adds the
Dagster metadata (a markdown summary, the paths, the overall status). ``defs`` holds the report
and every dataset's asset checks.

The HTML page and the index are shown twice: as a path (``MetadataValue.path``, which the UI shows
with a copy button) and, on a local raw zone, as a ``file://`` URL (``MetadataValue.url``, a link).
Browsers do not open a ``file://`` link from an ``http://`` page (Chromium ignores the click), so the
link works where the browser allows it and otherwise the URL is there to copy into the address bar.
"""

from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset
from upath import UPath

from recomart_assets import datasets
from recomart_assets.defs.shared.automation import report_after_checks_pass
from recomart_assets.defs.shared.partitions import daily_partitions
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.lake.zone import is_local_path
from recomart_assets.quality.changes.what_changed import ChangesConfig
from recomart_assets.quality.report.build import summary_markdown, write_quality_report


def file_links(name: str, path: UPath) -> dict[str, MetadataValue]:
    """``name`` as a path, and on a local disk also ``name_url`` as its ``file://`` URL."""
    links: dict[str, MetadataValue] = {name: MetadataValue.path(str(path))}
    if is_local_path(path):
        links[f"{name}_url"] = MetadataValue.url(Path(path.path).resolve().as_uri())
    return links


@asset(
    partitions_def=daily_partitions,
    deps=[AssetKey(dataset) for dataset in datasets.names()],
    group_name="quality",
    automation_condition=report_after_checks_pass(),
    kinds={"pandera", "pdf", "html"},
    description="Per-partition data quality results (JSON) and the Data Quality Report (HTML and PDF), with an index of "
                "every reported day.",
)
def data_quality_report(context: AssetExecutionContext, recomart: RecomartResource) -> MaterializeResult:
    """Writes the day's results (JSON) and report (PDF) once the datasets' checks have run; logs the overall status."""
    report = write_quality_report(recomart.zone(), context.partition_key,
                                  changes=ChangesConfig.from_settings(recomart.settings()))
    summary = report.results["summary"]
    context.log.info("data quality %s: %s, report at %s", context.partition_key, report.overall_status, report.pdf_path)
    return MaterializeResult(
        metadata={
            "overall_status": report.overall_status,
            "summary": MetadataValue.md(summary_markdown(report.results)),
            **file_links("html", report.html_path),
            **file_links("index", report.index_path),
            "pdf": MetadataValue.path(str(report.pdf_path)),
            "json": MetadataValue.path(str(report.json_path)),
            "checks_failed": summary["checks_failed"],
            "checks_warned": summary["checks_warned"],
            "rows": summary["rows"],
        }
    )

