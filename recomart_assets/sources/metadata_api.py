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
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from time import perf_counter

import httpx
import orjson
import pandas as pd
import stamina
from pydantic import ValidationError

from recomart_assets.config import Settings
from recomart_assets.errors import MetadataPullError
from recomart_assets.lake.frames import LakeFrame, store_frame
from recomart_assets.lake.lineage import HttpPull
from recomart_assets.lake.manifest import Manifest, producer_version
from recomart_assets.lake.zone import RawZone
from recomart_assets.logs import get_logger, ingestion_run
from recomart_assets.sources.metadata_schema import CSV_COLUMNS, METADATA_PATH, MetadataPage

log = get_logger("metadata_pull")

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


def _shape_problems(exc: ValidationError) -> str:
    shown = "; ".join(f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors()[:3])
    return f"unexpected response shape ({exc.error_count()} problem(s): {shown})"


def parse_page(response: httpx.Response) -> MetadataPage:
    """The page in ``response``, or :class:`BadResponse` saying why not and whether to retry."""
    status = response.status_code
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise BadResponse("http_429", f"HTTP 429 Too Many Requests (Retry-After {retry_after})", retryable=True,
                          retry_after=retry_after)
    if status != 200:
        raise BadResponse(f"http_{status}", f"HTTP {status} {response.reason_phrase}", retryable=status >= 500)
    try:
        payload = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise BadResponse("malformed_json", f"unparseable JSON ({exc})", retryable=True) from exc
    try:
        return MetadataPage.model_validate(payload)
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
                     stats: PullStats) -> MetadataPage:
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


def _check_page(page: MetadataPage, first: MetadataPage, number: int, day: date, url: str, attempts: int) -> None:
    """The cross-page checks: what one page's structure cannot show."""
    problems = []
    if page.as_of != day:
        problems.append(f"as_of {page.as_of} instead of {day}")
    if page.page != number:
        problems.append(f"page {page.page} instead of {number}")
    if (page.total_items, page.total_pages) != (first.total_items, first.total_pages):
        problems.append("totals changed between pages")
    if page.next_page not in (None, number + 1) or (page.next_page is None) != (number >= page.total_pages):
        problems.append(f"next_page {page.next_page} after page {number} of {page.total_pages}")
    if problems:
        raise MetadataPullError(url, "inconsistent pages: " + "; ".join(problems), attempts)


async def _fetch_pages(url: str, headers: dict[str, str], day: date, options: PullOptions,
                       stats: PullStats) -> list[MetadataPage]:
    """Every page of ``day`` in order, each checked against the first."""
    timeout = httpx.Timeout(options.read_timeout, connect=options.connect_timeout)
    pages: list[MetadataPage] = []
    async with httpx.AsyncClient(timeout=timeout, headers=headers) as client:
        number: int | None = 1
        while number is not None:
            params = {"as_of": day.isoformat(), "page": number, "page_size": options.page_size}
            page = await fetch_page(client, url, params, options, stats)
            _check_page(page, pages[0] if pages else page, number, day, str(httpx.URL(url, params=params)),
                        stats.attempts)
            pages.append(page)
            number = page.next_page
    return pages


def fetch_metadata(settings: Settings, day: date | str, options: PullOptions | None = None) -> LakeFrame:
    """All pages as of ``day`` as one frame (CSV columns) plus its lineage; nothing is written."""
    options = options or PullOptions()
    day = date.fromisoformat(day) if isinstance(day, str) else day
    url = settings.metadata_api_url + METADATA_PATH
    headers = {"User-Agent": producer_version().replace(" ", "/")}
    if settings.metadata_api_token:
        headers["Authorization"] = f"Bearer {settings.metadata_api_token.get_secret_value()}"
    stats = PullStats()
    fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = perf_counter()
    pages = asyncio.run(_fetch_pages(url, headers, day, options, stats))
    items = [item.model_dump(mode="json") for page in pages for item in page.items]
    frame = pd.DataFrame(items, columns=CSV_COLUMNS).astype({"review_count": "Int64"})
    problems = []
    if len(frame) != pages[0].total_items:
        problems.append(f"{len(frame)} items in all pages, total_items says {pages[0].total_items}")
    if frame["product_id"].duplicated().any():
        problems.append(f"{int(frame['product_id'].duplicated().sum())} product_id(s) on more than one page")
    if problems:
        raise MetadataPullError(url, "inconsistent pages: " + "; ".join(problems), stats.attempts)
    source = HttpPull(
        url=url, as_of=day.isoformat(), pages=len(pages), page_size=options.page_size, attempts=stats.attempts,
        failed_attempts=dict(stats.failures), fetched_at=fetched_at, fetch_seconds=round(perf_counter() - started, 3),
    )
    return LakeFrame(frame, source.to_source())


def pull_metadata(settings: Settings, day: date | str, options: PullOptions | None = None) -> Manifest:
    """Fetch ``day`` and write the snapshot ``external_metadata/D/``, then the latest CSV (if not newer).

    Returns the snapshot's manifest; raises :class:`MetadataPullError` with nothing written.
    """
    day_key = day if isinstance(day, str) else day.isoformat()
    zone = RawZone.from_settings(settings)
    with ingestion_run(DATASET, log, partition=day_key, url=settings.metadata_api_url) as run:
        lake_frame = fetch_metadata(settings, day_key, options)
        manifest = store_frame(zone, DATASET, day_key, lake_frame, fmt="csv", latest=True)
        run.counts.update(records=manifest.record_count, pages=lake_frame.source["pages"],
                          attempts=lake_frame.source["attempts"])
        run.files.append(manifest.file)
    return manifest
