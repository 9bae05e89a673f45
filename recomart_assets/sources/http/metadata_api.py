"""The pull of the external metadata API: every page fetched, retried and checked, then one CSV.

One implementation for ``recomart pull-metadata`` and the ``external_metadata`` asset.

Each page request runs under a wall-clock ``deadline`` covering connect, headers and the whole
body. httpx's own timeouts are per operation (connect, each read), so a server that drips one
byte per second would never trip them; the request therefore runs on an asyncio loop inside
``asyncio.timeout``, whose cancellation interrupts a read that is still waiting, whether the
server sends slowly or nothing at all. Each page request is retried through stamina (exponential
backoff with jitter, ``attempts`` in all) on what a flaky third party does transiently: connection
errors, connect/read timeouts, a passed deadline, a body cut off before its ``Content-Length``
(httpx raises ``RemoteProtocolError``), 5xx, 429 (waiting what ``Retry-After`` asks, unless that is
longer than ``max_retry_after``) and unparseable JSON.
Other 4xx answers and valid JSON of the wrong shape are not transient: they fail at once. Every
page is validated against :class:`MetadataPage` and the pages against each other (same day, same
totals, consecutive pages, no product twice) before anything is written, so a failed pull leaves
the previous snapshot and latest file untouched. The bearer token goes into the request header
only: it is never logged nor written to a manifest.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import reprlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from time import perf_counter
from typing import Any

import httpx
import pandas as pd
import stamina
from pydantic import ValidationError
from upath import UPath

from recomart_assets.config import Settings
from recomart_assets.errors import MetadataPullError
from recomart_assets.lake import steps
from recomart_assets.lake.frames import LakeFrame, frame_writer, store_frame
from recomart_assets.lake.lineage import HttpPull
from recomart_assets.lake.manifest import Manifest, producer_version, read_manifest, write_data_file
from recomart_assets.lake.zone import RawZone
from recomart_assets.logs import get_logger, ingestion_run
from recomart_assets.sources.http.metadata_schema import CSV_COLUMNS, METADATA_PATH, MetadataItem, PageEnvelope
from recomart_assets.text import excerpt

log = get_logger("metadata_pull")

steps.declare("pull.rejects-written")

DATASET = "external_metadata"

# stamina's default retry hook prints a second, less specific line than our own warning (which names
# the URL and the attempt) to stdout; our warning is enough.
stamina.instrumentation.set_on_retry_hooks([])


@dataclass(frozen=True)
class PullOptions:
    """Timeouts, paging and the retry budget of one pull (seconds throughout).

    ``connect_timeout`` and ``read_timeout`` bound each operation (connecting, each read);
    ``deadline`` bounds each request as a whole, from connecting to the last byte of the body.
    """

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    deadline: float = 30.0
    page_size: int = 500
    attempts: int = 3
    wait_initial: float = 0.5
    wait_max: float = 10.0
    wait_jitter: float = 0.5
    wait_exp_base: float = 2.0
    max_retry_after: float = 60.0
    passes: int = 3  # walks of an offset-paged catalog until two agree (a cursor walk needs one)


class BadResponse(Exception):
    """An HTTP answer we cannot use; ``retryable`` says whether asking again may help."""

    def __init__(self, kind: str, reason: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.kind = kind
        self.retryable = retryable
        self.retry_after = retry_after


# Transient transport failures: refused/reset connections, connect/read timeouts, truncated bodies.
TRANSIENT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def retry_decision(options: PullOptions) -> Callable[[Exception], bool | float]:
    """stamina backoff hook: False = give up, True = exponential backoff, a number = wait that long."""

    def decide(exc: Exception) -> bool | float:
        if isinstance(exc, BadResponse):
            if not exc.retryable or (exc.retry_after is not None and exc.retry_after > options.max_retry_after):
                return False
            if exc.retry_after is not None:
                return exc.retry_after + random.uniform(0, options.wait_jitter)  # noqa: S311 - jitter, not crypto
            return True
        return isinstance(exc, TRANSIENT_ERRORS)

    return decide


def describe(exc: Exception) -> str:
    """A one-line reason for logs and errors (never includes request headers)."""
    if isinstance(exc, BadResponse):
        return str(exc)
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"truncated response ({exc})"
    if isinstance(exc, httpx.TimeoutException):
        return f"{type(exc).__name__} (timed out)"
    return f"{type(exc).__name__}: {exc}"


def failure_kind(exc: Exception) -> str:
    """A short label to count failures by (``http_503``, ``truncated``, ``ReadTimeout``...)."""
    if isinstance(exc, BadResponse):
        return exc.kind
    return "truncated" if isinstance(exc, httpx.RemoteProtocolError) else type(exc).__name__


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delay-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class OutOfRangeNumber:
    """A JSON number no field type can hold (beyond 64 bits, NaN, an infinity), kept as its text.

    Every field type refuses it, so the record is quarantined naming the field, and the quarantine
    keeps the number exactly as the API sent it (as text), which a float conversion would not.
    """

    text: str


MAX_INT_TEXT = 20  # "-9223372036854775808": a longer integer cannot be a 64-bit one


def _json_int(text: str) -> int | OutOfRangeNumber:
    return int(text) if len(text) <= MAX_INT_TEXT else OutOfRangeNumber(text)


def _json_float(text: str) -> float | OutOfRangeNumber:
    value = float(text)
    return value if math.isfinite(value) else OutOfRangeNumber(text)


def load_json(content: bytes) -> Any:
    """Parse an answer; numbers outside every field type become :class:`OutOfRangeNumber`, never an error.

    The standard parser with hooks: a fast parser turns a long integer into a rounded float (so
    10**30 would pass as an integer) and refuses NaN, failing the whole page for one value.
    """
    return json.loads(content, parse_int=_json_int, parse_float=_json_float, parse_constant=OutOfRangeNumber)


_shown = reprlib.Repr()  # quotes of input values in reasons: short whatever the value's size
_shown.maxstring = _shown.maxother = 80
_shown.maxlevel, _shown.maxdict, _shown.maxlist = 2, 4, 4
MAX_PROBLEMS_SHOWN = 3


def _problems(exc: ValidationError, *, with_input: bool) -> str:
    """The first few problems, each naming its field; bounded whatever the input's size."""
    shown = []
    for error in exc.errors()[:MAX_PROBLEMS_SHOWN]:
        where = ".".join(map(str, error["loc"])) or "<record>"
        got = f" (got {_shown.repr(error['input'])})" if with_input else ""
        shown.append(f"{where}: {error['msg'][:120]}{got}")
    more = exc.error_count() - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def _shape_problems(exc: ValidationError) -> str:
    return f"unexpected response shape ({exc.error_count()} problem(s): {_problems(exc, with_input=False)})"


def parse_page(response: httpx.Response) -> PageEnvelope:
    """The page in ``response``, or :class:`BadResponse` saying why not and whether to retry."""
    status = response.status_code
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise BadResponse("http_429", f"HTTP 429 Too Many Requests (Retry-After {retry_after})", retryable=True,
                          retry_after=retry_after)
    if status != 200:
        raise BadResponse(f"http_{status}", f"HTTP {status} {response.reason_phrase}", retryable=status >= 500)
    try:
        payload = load_json(response.content)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, nesting deeper than the parser's stack
        raise BadResponse("malformed_json", f"unparseable JSON ({excerpt(str(exc))})", retryable=True) from exc
    try:
        return PageEnvelope.model_validate(payload)
    except ValidationError as exc:
        raise BadResponse("wrong_shape", _shape_problems(exc), retryable=False) from exc


@dataclass
class PullStats:
    """What the pull did, for lineage and logs."""

    attempts: int = 0
    failures: Counter[str] = field(default_factory=Counter)


async def get_within_deadline(client: httpx.AsyncClient, url: str, params: dict[str, object],
                              deadline: float) -> httpx.Response:
    """The complete response (body read), or :class:`BadResponse` ``deadline`` once ``deadline`` s have passed.

    The connection is closed when the deadline cancels the request, so nothing keeps reading.
    """
    response: httpx.Response | None = None
    try:
        async with asyncio.timeout(deadline):
            async with client.stream("GET", url, params=params) as response:
                await response.aread()
    except TimeoutError as exc:
        if response is None:
            received = "no response headers"
        else:
            expected = response.headers.get("Content-Length")
            received = (f"HTTP {response.status_code} headers and {response.num_bytes_downloaded}"
                        f"{f' of {expected}' if expected else ''} body bytes")
        raise BadResponse("deadline", f"request deadline of {deadline:g} s passed ({received} received)",
                          retryable=True) from exc
    return response


async def fetch_page(client: httpx.AsyncClient, url: str, params: dict[str, object], options: PullOptions,
                     stats: PullStats) -> PageEnvelope:
    """One page, retried per ``options``; :class:`MetadataPullError` when it gives up."""
    full_url = str(httpx.URL(url, params=params))
    attempts = 0
    try:
        async for attempt in stamina.retry_context(
            on=retry_decision(options), attempts=options.attempts, timeout=None,
            wait_initial=options.wait_initial, wait_max=options.wait_max, wait_jitter=options.wait_jitter,
            wait_exp_base=options.wait_exp_base,
        ):
            with attempt:
                attempts = attempt.num
                stats.attempts += 1
                try:
                    return parse_page(await get_within_deadline(client, url, params, options.deadline))
                except (BadResponse, httpx.HTTPError) as exc:
                    log.warning("GET %s attempt %d/%d: %s", full_url, attempts, options.attempts, describe(exc))
                    stats.failures[failure_kind(exc)] += 1
                    raise
    except (BadResponse, httpx.HTTPError) as exc:
        raise MetadataPullError(full_url, describe(exc), attempts) from exc
    raise AssertionError("unreachable")


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
        problems.append(f"next_page {page.next_page} and next_cursor {_shown.repr(page.next_cursor)} "
                        f"after page {number}")
    if problems:
        raise MetadataPullError(url, "inconsistent pages: " + "; ".join(problems), attempts)


async def _walk(client: httpx.AsyncClient, url: str, day: date, options: PullOptions,
                stats: PullStats) -> list[PageEnvelope]:
    """One pass: every page of ``day`` in order, by the cursor when the server gives one, else by offset."""
    pages: list[PageEnvelope] = []
    params: dict[str, object] = {"as_of": day.isoformat(), "page": 1, "page_size": options.page_size}
    while True:
        page = await fetch_page(client, url, params, options, stats)
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
    timeout = httpx.Timeout(options.read_timeout, connect=options.connect_timeout)
    async with httpx.AsyncClient(timeout=timeout, headers=headers) as client:
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
                rejects.append({"reason": _problems(exc, with_input=True), "page": page.page, "position": position,
                                "record": item})
    return rows, rejects


@dataclass
class MetadataPull(LakeFrame):
    """The pulled records (the frame) and those outside the schema's types (``rejects``, for quarantine)."""

    rejects: list[dict[str, Any]] = field(default_factory=list)


def fetch_metadata(settings: Settings, day: date | str, options: PullOptions | None = None) -> MetadataPull:
    """All pages as of ``day`` as one frame (CSV columns), the rejects and the lineage; nothing is written."""
    options = options or PullOptions()
    day = date.fromisoformat(day) if isinstance(day, str) else day
    url = settings.metadata_api_url + METADATA_PATH
    headers = {"User-Agent": producer_version().replace(" ", "/")}
    if settings.metadata_api_token:
        headers["Authorization"] = f"Bearer {settings.metadata_api_token.get_secret_value()}"
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
    return MetadataPull(frame, source.to_source(), rejects)


def rejects_file(zone: RawZone, day: str) -> UPath:
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
    data = "".join(json.dumps(reject, default=_number_text, ensure_ascii=False) + "\n"
                   for reject in pulled.rejects).encode()
    manifest = write_data_file(path, data, dataset=DATASET, partition=day, record_count=len(pulled.rejects),
                               fmt="jsonl", source={**pulled.source, "quarantine": True})
    steps.reached("pull.rejects-written")
    return manifest


def _number_text(value: object) -> str:
    if isinstance(value, OutOfRangeNumber):
        return value.text
    raise TypeError(type(value).__name__)


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
                          pages=pulled.source["pages"], attempts=pulled.source["attempts"])
        run.files.append(manifest.file)
    return manifest
