"""The per-partition quality results: every dataset's validation, as the contract's JSON object.

``build_results`` takes each dataset's validation of the day (its metric state when fresh, else a
new validation: :func:`recomart_assets.quality.validation.current`) and returns
``data_quality_report.json``'s content (format in the contract, plus per-dataset status, failure
rate, ingestion figures, distributions and a cross-table ``integrity`` section). ``history`` gives
earlier partitions' figures for the trends, from their metric states (never their raw files).
"""

from __future__ import annotations

from datetime import date

import orjson
from upath import UPath

from recomart_assets import datasets
from recomart_assets.lake import Manifest, RawZone, complete_files, read_verified_bytes, utc_now_iso, write_data_file
from recomart_assets.lake.lineage import Derived
from recomart_assets.quality.contract import IntegrityEntry, Results, TrendPoint
from recomart_assets.quality.engines.outcome import Outcome, dataset_entry
from recomart_assets.quality.rules.checks import DEFAULT_FAIL_RATE, worst
from recomart_assets.quality.rules.schemas import reference_of
from recomart_assets.quality.states import MetricState, read_states
from recomart_assets.quality.validation import DEFAULT_ENGINE, current

REPORT_DATASET = "data_quality_report"
REPORT_JSON = "data_quality_report.json"


def integrity_results(outcomes: dict[str, Outcome]) -> list[IntegrityEntry]:
    """Cross-table checks: each id column against the same day's catalog or customers."""
    rows: list[IntegrityEntry] = []
    for dataset, outcome in outcomes.items():
        for check in outcome.validation.checks:
            if check.group != "integrity":
                continue
            present = outcome.present.get(check.column, 0) if check.column is not None else 0
            entry: IntegrityEntry = {
                "dataset": dataset,
                "column": check.column,
                "reference": reference_of(check.name.split(": ", 1)[1]),
                "checked": present,
                "unmatched": check.failure_count,
                "unmatched_share": round(check.failure_count / present, 6) if present else 0.0,
                "status": check.status,
                "samples": check.samples,
            }
            if check.detail:
                entry["detail"] = check.detail
            rows.append(entry)
    return rows


def results_of(day: date | str, outcomes: dict[str, Outcome]) -> Results:
    """The report JSON of ``day`` from its datasets' validations."""
    entries = {name: dataset_entry(outcome) for name, outcome in outcomes.items()}
    statuses = [entry["status"] for entry in entries.values()]
    all_checks = [c for entry in entries.values() for c in entry["checks"]]
    return {
        "partition": str(day),
        "generated_at": utc_now_iso(),
        "overall_status": worst("warn" if s == "missing" else s for s in statuses),
        "summary": {
            "datasets_missing": statuses.count("missing"),
            "rows": sum(entry["row_count"] for entry in entries.values()),
            "checks": len(all_checks),
            "checks_failed": sum(c["status"] == "fail" for c in all_checks),
            "checks_warned": sum(c["status"] == "warn" for c in all_checks),
            "quarantined_records": sum(entry["quarantined_records"] for entry in entries.values()),
        },
        "datasets": entries,
        "integrity": integrity_results(outcomes),
    }


def build_results(zone: RawZone, day: date | str, fail_rate: float = DEFAULT_FAIL_RATE,
                  engine: str = DEFAULT_ENGINE) -> Results:
    """The partition's quality results (the content of ``data_quality_report.json``)."""
    return results_of(day, {name: current(zone, name, day, engine=engine, fail_rate=fail_rate) for name in datasets.names()})


def results_bytes(results: Results) -> bytes:
    """Pretty JSON; non-finite numbers (an ``inf`` price) become null."""
    return orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"


def write_results(zone: RawZone, results: Results) -> tuple[UPath, Manifest]:
    """Write ``data_quality_report.json`` of the results' partition, with its manifest."""
    path = zone.reports_dir(results["partition"]) / REPORT_JSON
    sources = {name: entry["files"] for name, entry in results["datasets"].items()}
    manifest = write_data_file(
        path, results_bytes(results), dataset=REPORT_DATASET, partition=results["partition"], record_count=1,
        fmt="json", source=Derived(derived="quality_results", inputs={"files_per_dataset": sources}),
    )
    return path, manifest


def _is_day(name: str) -> bool:
    try:
        return date.fromisoformat(name).isoformat() == name
    except ValueError:
        return False


def _trend_point(day: str, states: dict[str, MetricState]) -> TrendPoint:
    """The figures the trends page draws for one earlier day, from its datasets' states."""
    entries = {name: {"row_count": state.row_count,
                      "failure_rate": round(state.failed_rows / state.row_count, 6) if state.row_count else 0.0}
               for name, state in states.items()}
    checks = [c for state in states.values() for c in state.checks.values()]
    return {"partition": day, "datasets": entries,
            "summary": {"checks_failed": sum(c["status"] == "fail" for c in checks),
                        "checks_warned": sum(c["status"] == "warn" for c in checks)}}


def history(zone: RawZone, day: date | str, days: int = 30) -> list[TrendPoint]:
    """Trend figures of up to ``days`` earlier partitions (oldest first), from their metric states; a
    day reported before states existed contributes its verified JSON report instead."""
    folder = zone.root / "reports"
    if not folder.exists():
        return []
    earlier = sorted(p.name for p in folder.iterdir() if p.is_dir() and _is_day(p.name) and p.name < str(day))[-days:]
    by_day: dict[str, dict[str, MetricState]] = {name: {} for name in earlier}
    for dataset in datasets.names():
        for found_day, state in read_states(zone, dataset, earlier).items():
            by_day[found_day][dataset] = state
    found = []
    for name in earlier:
        if by_day[name]:
            found.append(_trend_point(name, by_day[name]))
            continue
        for path, manifest in complete_files(zone.reports_dir(name), REPORT_JSON):
            found.append(orjson.loads(read_verified_bytes(path, manifest)))
    return found
