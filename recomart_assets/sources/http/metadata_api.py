"""The pull of the external metadata API: every page fetched, retried and checked, then one CSV.

One implementation for ``recomart pull-metadata`` and the ``external_metadata`` asset.

Each page is fetched by the reusable pull (:mod:`~recomart_assets.sources.http.pull`: a deadline
per request, retries with backoff on what is transient, ``Retry-After``, JSON with out-of-range
numbers kept as text); this module supplies the API's path, its page model, how it pages and what
it checks across pages. Every page is validated against :class:`MetadataPage` and the pages against each other (same day, same
totals, consecutive pages, no product twice) before anything is written, so a failed pull leaves
the previous snapshot and latest file untouched. The bearer token goes into the request header
only: it is never logged nor written to a manifest.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from time import perf_counter
from typing import Any

import httpx
import pandas as pd
from pydantic import ValidationError
from upath import UPath

from recomart_assets.config import Settings
from recomart_assets.errors import MetadataPullError
from recomart_assets.lake import steps
from recomart_assets.lake.frames import LakeFrame, frame_writer, store_frame
from recomart_assets.lake.lineage import HttpPull
from recomart_assets.lake.manifest import Manifest, read_manifest, write_data_file
from recomart_assets.lake.zone import RawZone
from recomart_assets.logs import get_logger, ingestion_run
from recomart_assets.sources.http.metadata_schema import CSV_COLUMNS, METADATA_PATH, MetadataItem, PageEnvelope
from recomart_assets.sources.http.payloads import number_text, shown, validation_problems
from recomart_assets.sources.http.pull import PullOptions, PullStats, fetch_page, request_headers
from recomart_assets.sources.http.pull import client as pull_client

log = get_logger("metadata_pull")

steps.declare("pull.rejects-written")

DATASET = "external_metadata"


def _check_page(page: PageEnvelope, first: PageEnvelope, number: int, day: date, url: str, attempts: int) -> None:
    """The cross-page checks: what one page's structure cannot show.

    Totals and page counts must hold still only under offset paging: with a cursor the catalog
    may change between pages without shifting anything.
    """
    problems = []
    if page.as_of != day:
        problems.append(f"as_of {page.as_of} instead of {day}")
    if page.page != number:
        problems.append(f"page {page.page} instead of {number}")
    if first.next_cursor is None:
        if (page.total_items, page.total_pages) != (first.total_items, first.total_pages):
            problems.append("totals changed between pages")
        if page.next_page not in (None, number + 1) or (page.next_page is None) != (number >= page.total_pages):
            problems.append(f"next_page {page.next_page} after page {number} of {page.total_pages}")
    elif page.next_page not in (None, number + 1) or (page.next_page is None) != (page.next_cursor is None):
        problems.append(f"next_page {page.next_page} and next_cursor {shown.repr(page.next_cursor)} "
                        f"after page {number}")
    if problems:
        raise MetadataPullError(url, "inconsistent pages: " + "; ".join(problems), attempts)


async def _walk(client: httpx.AsyncClient, url: str, day: date, options: PullOptions,
                stats: PullStats) -> list[PageEnvelope]:
    """One pass: every page of ``day`` in order, by the cursor when the server gives one, else by offset."""
    pages: list[PageEnvelope] = []
    params: dict[str, object] = {"as_of": day.isoformat(), "page": 1, "page_size": options.page_size}
    while True:
        page = await fetch_page(client, url, params, options, stats, PageEnvelope, error=MetadataPullError, log=log)
        _check_page(page, pages[0] if pages else page, len(pages) + 1, day, str(httpx.URL(url, params=params)),
                    stats.attempts)
        pages.append(page)
        if page.next_page is None:
            return pages
        params = {"as_of": day.isoformat(), "page": page.next_page, "page_size": options.page_size}
        if page.next_cursor is not None:
            params["cursor"] = page.next_cursor


def _listing(pages: list[PageEnvelope]) -> tuple[int, list[object]]:
    """What two passes of offset paging must agree on: the total and every record's id, in order."""
    return pages[0].total_items, [item.get("product_id") if isinstance(item, dict) else None
                                  for page in pages for item in page.items]


async def _fetch_pages(url: str, headers: dict[str, str], day: date, options: PullOptions,
                       stats: PullStats) -> tuple[list[PageEnvelope], str, int]:
    """Every page of ``day`` from one consistent listing; also how it was paged and in how many passes.

    A cursor (keyset) walk is consistent by itself: each page starts after the previous page's last
    product, so a product present from the start to the end of the walk is on some page. Offset
    paging is not: a product deleted before the current offset shifts the next product onto a page
    already read. So an offset walk is repeated until two passes in a row list the same total and
    the same ids in the same order (at most ``options.passes`` passes); a catalog that keeps
    changing fails the pull rather than publishing a snapshot with a product silently missing.
    """
    async with pull_client(options, headers) as client:
        previous = None
        for number in range(1, options.passes + 1):
            pages = await _walk(client, url, day, options, stats)
            if len(pages) == 1:
                return pages, "single", number
            if pages[0].next_cursor is not None:
                return pages, "cursor", number
            listing = _listing(pages)
            if listing == previous:
                return pages, "offset", number
            if previous is not None:
                log.warning("GET %s as_of %s: the catalog changed while paging by offset (pass %d differs from "
                            "pass %d); paging again", url, day, number, number - 1)
            previous = listing
    raise MetadataPullError(url, f"the catalog changed while paging by offset: no two of {options.passes} passes "
                                 "listed the same products, so any snapshot could miss one", stats.attempts)


def _split_items(pages: list[PageEnvelope]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each item validated on its own: (valid records as CSV rows, rejects with their reason)."""
    rows, rejects = [], []
    for page in pages:
        for position, item in enumerate(page.items):
            try:
                rows.append(MetadataItem.model_validate(item).model_dump(mode="json"))
            except ValidationError as exc:
                rejects.append({"reason": validation_problems(exc, with_input=True), "page": page.page, "position": position,
                                "record": item})
    return rows, rejects


@dataclass
class MetadataPull(LakeFrame):
    """The pulled records (the frame) and those outside the schema's types (``rejects``, for quarantine)."""

    source: HttpPull  # what the pull did (pages, attempts), read back as attributes
    rejects: list[dict[str, Any]] = field(default_factory=list)


def fetch_metadata(settings: Settings, day: date | str, options: PullOptions | None = None) -> MetadataPull:
    """All pages as of ``day`` as one frame (CSV columns), the rejects and the lineage; nothing is written."""
    options = options or PullOptions()
    day = date.fromisoformat(day) if isinstance(day, str) else day
    url = settings.metadata_api_url + METADATA_PATH
    headers = request_headers(settings.metadata_api_token)
    stats = PullStats()
    fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = perf_counter()
    pages, paging, passes = asyncio.run(_fetch_pages(url, headers, day, options, stats))
    rows, rejects = _split_items(pages)
    frame = pd.DataFrame(rows, columns=CSV_COLUMNS).astype({"review_count": "Int64"})
    problems = []
    received = sum(len(page.items) for page in pages)
    if paging != "cursor" and received != pages[0].total_items:
        problems.append(f"{received} items in all pages, total_items says {pages[0].total_items}")
    ids = [item.get("product_id") for page in pages for item in page.items
           if isinstance(item, dict) and isinstance(item.get("product_id"), str)]
    if len(ids) != len(set(ids)):
        problems.append(f"{len(ids) - len(set(ids))} product_id(s) on more than one page")
    if problems:
        raise MetadataPullError(url, "inconsistent pages: " + "; ".join(problems), stats.attempts)
    if rejects:
        log.warning("GET %s as_of %s: %d record(s) outside the schema's types set aside, e.g. %s", url, day,
                    len(rejects), rejects[0]["reason"])
    source = HttpPull(
        url=url, as_of=day.isoformat(), pages=len(pages), page_size=options.page_size, attempts=stats.attempts,
        failed_attempts=dict(stats.failures), fetched_at=fetched_at, fetch_seconds=round(perf_counter() - started, 3),
        paging=paging, passes=passes, quarantined=len(rejects),
    )
    return MetadataPull(frame, source, rejects)


def rejects_file(zone: RawZone, day: str) -> UPath:
    """Where a day's records outside the schema's types are kept: ``quarantine/external_metadata/D/``."""
    return zone.quarantine_dir(DATASET, day) / f"{DATASET}_{day}.jsonl"


def store_rejects(zone: RawZone, day: str, pulled: MetadataPull) -> Manifest | None:
    """Write the pull's rejects to ``quarantine/external_metadata/D/`` (step ``pull.rejects-written``).

    One file per day, replaced by every pull of that day, so it always matches the snapshot written
    next; a pull without rejects writes it only to empty one left by an earlier pull of the day.
    Numbers no type holds are written as their text.
    """
    path = rejects_file(zone, day)
    if not pulled.rejects and read_manifest(path) is None:
        return None
    data = "".join(json.dumps(reject, default=number_text, ensure_ascii=False) + "\n"
                   for reject in pulled.rejects).encode()
    manifest = write_data_file(path, data, dataset=DATASET, partition=day, record_count=len(pulled.rejects),
                               fmt="jsonl", source=pulled.source.updated(quarantine=True))
    steps.reached("pull.rejects-written")
    return manifest


def pull_metadata(settings: Settings, day: date | str, options: PullOptions | None = None) -> Manifest:
    """Fetch ``day`` and write the snapshot ``external_metadata/D/``, then the latest CSV (if not newer).

    Returns the snapshot's manifest; raises :class:`MetadataPullError` with nothing written.
    """
    day_key = day if isinstance(day, str) else day.isoformat()
    zone = RawZone.from_settings(settings)
    with ingestion_run(DATASET, log, partition=day_key, url=settings.metadata_api_url) as run:
        pulled = fetch_metadata(settings, day_key, options)
        with frame_writer(zone, DATASET, day_key):
            store_rejects(zone, day_key, pulled)
            manifest = store_frame(zone, DATASET, day_key, pulled, fmt="csv", latest=True)
        run.counts.update(records=manifest.record_count, quarantined=len(pulled.rejects),
                          pages=pulled.source.pages, attempts=pulled.source.attempts)
        run.files.append(manifest.file)
    return manifest
