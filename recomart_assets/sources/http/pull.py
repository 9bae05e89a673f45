"""The reusable REST pull: one page request under a deadline, retried on what is transient, validated.

Each request runs under a wall-clock ``deadline`` covering connect, headers and the whole body.
httpx's own timeouts are per operation (connect, each read), so a server that drips one byte per
second would never trip them; the request therefore runs on an asyncio loop inside
``asyncio.timeout``, whose cancellation interrupts a read that is still waiting, whether the server
sends slowly or nothing at all. Each page request is retried through stamina (exponential backoff
with jitter, ``attempts`` in all) on what a flaky third party does transiently: connection errors,
connect/read timeouts, a passed deadline, a body cut off before its ``Content-Length`` (httpx raises
``RemoteProtocolError``), 5xx, 429 (waiting what ``Retry-After`` asks, unless that is longer than
``max_retry_after``) and unparseable JSON. Other 4xx answers and valid JSON of the wrong shape are
not transient: they fail at once. The bearer token goes into the request header only: it is never
logged nor written to a manifest.

A REST source supplies its URL, its page model (a pydantic model, validated on each answer) and how
it walks its pages; :class:`PullOptions` is the one list of knobs, from which the Dagster run config
and the CLI options of a pull are derived (``defs/shared/options.py``, ``cli/options.py``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import httpx
import stamina
from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic.dataclasses import dataclass

from recomart_assets.errors import PullError
from recomart_assets.lake.manifest import producer_version
from recomart_assets.logs import get_logger
from recomart_assets.sources.http.payloads import load_json, shape_problems
from recomart_assets.text import excerpt

# stamina's default retry hook prints a second, less specific line than our own warning (which names
# the URL and the attempt) to stdout; our warning is enough.
stamina.instrumentation.set_on_retry_hooks([])

Page = TypeVar("Page", bound=BaseModel)


@dataclass(frozen=True)
class PullOptions:
    """Timeouts, paging and the retry budget of one pull (seconds throughout).

    ``connect_timeout`` and ``read_timeout`` bound each operation (connecting, each read);
    ``deadline`` bounds each request as a whole, from connecting to the last byte of the body.
    Each field's description is its help text in the Dagster run config and on the command line.
    """

    connect_timeout: float = Field(default=5.0, gt=0, description="Seconds allowed to connect.")
    read_timeout: float = Field(default=15.0, gt=0, description="Seconds of silence allowed between two reads.")
    deadline: float = Field(default=30.0, gt=0,
                            description="Seconds allowed for each request as a whole, body included.")
    page_size: int = Field(default=500, ge=1, description="Items asked for per page.")
    attempts: int = Field(default=3, ge=1, description="Attempts per page request.")
    wait_initial: float = Field(default=0.5, ge=0, description="Seconds waited before the first retry.")
    wait_max: float = Field(default=10.0, ge=0, description="Longest wait between two attempts, in seconds.")
    wait_jitter: float = Field(default=0.5, ge=0, description="Up to this many seconds added to each wait at random.")
    wait_exp_base: float = Field(default=2.0, ge=1, description="Factor by which the wait grows after each failure.")
    max_retry_after: float = Field(default=60.0, ge=0, description="Longest Retry-After (seconds) a pull waits "
                                   "for; a longer one fails the pull at once.")
    passes: int = Field(default=3, ge=1, description="Walks of an offset-paged listing until two agree (a cursor "
                        "walk needs one).")


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


def parse_page(response: httpx.Response, model: type[Page]) -> Page:
    """The page in ``response`` as ``model``, or :class:`BadResponse` saying why not and whether to retry."""
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
        return model.model_validate(payload)
    except ValidationError as exc:
        raise BadResponse("wrong_shape", shape_problems(exc), retryable=False) from exc


@dataclasses.dataclass
class PullStats:
    """What the pull did, for lineage and logs."""

    attempts: int = 0
    failures: Counter[str] = dataclasses.field(default_factory=Counter)


def request_headers(token: SecretStr | None = None) -> dict[str, str]:
    """The headers of every request: who asks (the producer version), and the bearer token if one is set."""
    headers = {"User-Agent": producer_version().replace(" ", "/")}
    if token:
        headers["Authorization"] = f"Bearer {token.get_secret_value()}"
    return headers


def client(options: PullOptions, headers: dict[str, str]) -> httpx.AsyncClient:
    """An HTTP client with the options' per-operation timeouts (the deadline is per request, see above)."""
    return httpx.AsyncClient(timeout=httpx.Timeout(options.read_timeout, connect=options.connect_timeout),
                             headers=headers)


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
                     stats: PullStats, model: type[Page], *, error: type[PullError] = PullError,
                     log: logging.Logger | None = None) -> Page:
    """One page as ``model``, retried per ``options``; ``error`` (a :class:`PullError`) when it gives up.

    Each failed attempt is logged as a warning (to ``log``, the source's logger) and counted in ``stats``.
    """
    log = log or get_logger("http_pull")
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
                    return parse_page(await get_within_deadline(client, url, params, options.deadline), model)
                except (BadResponse, httpx.HTTPError) as exc:
                    log.warning("GET %s attempt %d/%d: %s", full_url, attempts, options.attempts, describe(exc))
                    stats.failures[failure_kind(exc)] += 1
                    raise
    except (BadResponse, httpx.HTTPError) as exc:
        raise error(full_url, describe(exc), attempts) from exc
    raise AssertionError("unreachable")
