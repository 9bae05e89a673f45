"""The daily ``data_quality_report`` asset: JSON results and the PDF report of one partition.

Downstream of the five raw assets (by key) and, through them, of their checks. The shared
implementation is :func:`recomart_assets.quality.write_quality_report`; this asset adds the
Dagster metadata (a markdown summary, the paths, the overall status). ``defs`` holds the report
and every dataset's asset checks.
"""


from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from recomart_assets import datasets
from recomart_assets.defs.shared.automation import report_after_checks_pass
from recomart_assets.defs.shared.partitions import daily_partitions
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.quality.changes.what_changed import ChangesConfig
from recomart_assets.quality.report.build import summary_markdown, write_quality_report


@asset(
    partitions_def=daily_partitions,
    deps=[AssetKey(dataset) for dataset in datasets.names()],
    group_name="quality",
    automation_condition=report_after_checks_pass(),
    kinds={"pandera", "pdf"},
    description="Per-partition data quality results (JSON) and the Data Quality Report (PDF).",
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
            "pdf": MetadataValue.path(str(report.pdf_path)),
            "json": MetadataValue.path(str(report.json_path)),
            "checks_failed": summary["checks_failed"],
            "checks_warned": summary["checks_warned"],
            "rows": summary["rows"],
        }
    )

