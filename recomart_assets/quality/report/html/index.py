"""``reports/index.html``: every reported day with its status, linking its HTML, PDF and JSON.

Rewritten whole after every report (:func:`write_index`), from the days' verified JSON results, so
it never holds a number of its own. Two reports of different days may finish at the same time,
so the rewrite holds the raw zone's ``report-index`` lock (the lake's zone lock) and writes
atomically with a manifest, like any data file: whichever writer goes last scans after the other's
files are in place, so the index lists both. A writer killed mid-rewrite leaves the previous index
(or, between the new file and its manifest, a file ``verify`` reports as incomplete) and a
temporary file the next rewrite sweeps; the next report's rewrite repairs it (docs/protocol.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
from upath import UPath

from recomart_assets.lake import RawZone, complete_files, read_verified_bytes, steps, utc_now_iso, write_data_file
from recomart_assets.lake.lineage import Derived
from recomart_assets.lake.locks import exclusive_writer
from recomart_assets.lake.readers import CorruptFileError
from recomart_assets.logs import get_logger
from recomart_assets.quality.report.html.page import environment

INDEX_HTML = "index.html"
INDEX_DATASET = "data_quality_report_index"
INDEX_ROLE = "report-index"
REPORT_FILES = (("HTML", "data_quality_report.html"), ("PDF", "data_quality_report.pdf"),
                ("JSON", "data_quality_report.json"))

log = get_logger("quality")

steps.declare("report.index-written")


@dataclass(frozen=True)
class IndexEntry:
    """One reported day: its status and key numbers (from its JSON) and the links to its files."""

    partition: str
    status: str
    rows: int | None
    checks_failed: int | None
    checks_warned: int | None
    generated_at: str
    links: list[tuple[str, str]]


def index_path(zone: RawZone) -> UPath:
    """Where the index goes: ``reports/index.html``, beside the day folders it links to."""
    return zone.root / "reports" / INDEX_HTML


def _is_day(name: str) -> bool:
    try:
        return date.fromisoformat(name).isoformat() == name
    except ValueError:
        return False


def _entry(folder: UPath) -> IndexEntry | None:
    complete = {path.name: (path, manifest) for path, manifest in complete_files(folder, "data_quality_report.*")}
    json_file = complete.get("data_quality_report.json")
    if json_file is None:
        return None  # no report of this day yet (states only), or it is being written
    try:
        results: dict[str, Any] = orjson.loads(read_verified_bytes(*json_file))
    except (CorruptFileError, orjson.JSONDecodeError) as error:
        log.warning("report index: %s skipped (%s)", json_file[0], error)
        return None
    summary = results.get("summary", {})
    return IndexEntry(
        partition=folder.name, status=str(results.get("overall_status", "unknown")), rows=summary.get("rows"),
        checks_failed=summary.get("checks_failed"), checks_warned=summary.get("checks_warned"),
        generated_at=str(results.get("generated_at", "")),
        links=[(label, f"{folder.name}/{name}") for label, name in REPORT_FILES if name in complete],
    )


def index_entries(zone: RawZone) -> list[IndexEntry]:
    """Every day under ``reports/`` with a complete JSON report, newest first."""
    folder = zone.root / "reports"
    if not folder.exists():
        return []
    days = sorted((p for p in folder.iterdir() if p.is_dir() and _is_day(p.name)), key=lambda p: p.name, reverse=True)
    return [entry for day in days if (entry := _entry(day)) is not None]


def render_index(entries: list[IndexEntry], written_at: str) -> bytes:
    """The index page's UTF-8 bytes."""
    return environment().get_template("index.html.j2").render(days=entries, written_at=written_at).encode()


def write_index(zone: RawZone) -> UPath:
    """Rewrite ``reports/index.html`` from the reports present now, under the zone's index lock."""
    path = index_path(zone)
    with exclusive_writer(zone, INDEX_ROLE, [], shallow=[path.parent]):
        entries = index_entries(zone)
        write_data_file(path, render_index(entries, utc_now_iso()), dataset=INDEX_DATASET, partition=None,
                        record_count=1, fmt="html",  # one document (verify counts it so)
                        source=Derived(derived="quality_report_index", inputs={"days": len(entries)}))
        steps.reached("report.index-written")
    return path
