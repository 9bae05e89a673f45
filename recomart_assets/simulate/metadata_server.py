"""The simulated external metadata API: a real HTTP server (FastAPI on uvicorn) that misbehaves on request.

``GET /products/metadata?as_of=D&page=N&page_size=S`` answers one :class:`MetadataPage` of the
values in :mod:`.metadata_values` (deterministic per product and day); ``/openapi.json`` documents
it and ``/health`` says whether it is up. With a token configured every metadata request needs
``Authorization: Bearer <token>`` (401 otherwise).

:class:`Faults` makes it behave like a flaky third party. Each metadata request draws at most one
injected fault, by rate: a 5xx, a 429 with ``Retry-After`` (requests inside that window get 429
too, as a real rate limiter does), a response slower than the client's timeout, a body dripped a
few bytes per second (every read arrives well within any read timeout, so only a deadline on the
whole request stops the client), a body cut off mid-way (the connection closes before
``Content-Length`` bytes), malformed JSON, or valid JSON of the wrong shape. ``burst`` caps how many faults in a row the *same* request can get, which makes
"a fault rate the retry budget covers" deterministic; ``seed`` makes the fault sequence repeatable.

:func:`configure` swaps the faults and token of a running app (a test server in a thread serves
one fault configuration after another without restarting).
(Starting it as a supervised subprocess is :mod:`recomart_assets.platform.metadata_api`'s job.)
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from bisect import bisect_right
from collections.abc import AsyncIterator
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import orjson
from fastapi import Depends, FastAPI, HTTPException, Query, Response
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Receive, Scope, Send

from recomart_assets.logs import get_logger
from recomart_assets.simulate.master import product_id
from recomart_assets.simulate.metadata_values import CatalogRow, MetadataSource
from recomart_assets.sources.http.metadata_schema import (
    CURSOR_HELP,
    MAX_ID_LENGTH,
    MAX_PAGE_SIZE,
    METADATA_PATH,
    MetadataPage,
)

if TYPE_CHECKING:
    import uvicorn

log = get_logger("metadata_api")

DEFAULT_PAGE_SIZE = 500
# Module level: FastAPI resolves the (postponed) annotations below against module globals.
_bearer = HTTPBearer(auto_error=False, description="Required when the server was started with a token.")


@dataclass(frozen=True)
class Faults:
    """Injected misbehaviour; every ``*_rate`` is the share of metadata requests that get it."""

    fail_rate: float = 0.0
    rate_limit_rate: float = 0.0
    retry_after: int = 1
    slow_rate: float = 0.0
    slow_ms: int = 5000
    drip_rate: float = 0.0
    drip_bytes_per_second: int = 1
    truncate_rate: float = 0.0
    malformed_rate: float = 0.0
    wrong_schema_rate: float = 0.0
    latency_ms: int = 0
    burst: int | None = None
    seed: int = 0
    churn: int = 0
    offset_only: bool = False

    def __post_init__(self) -> None:
        """Refuse rates that add up to more than 1 (ValueError): each request gets at most one fault, drawn from one
        uniform number."""
        if sum(rate for _, rate in self.kinds()) > 1.0:
            raise ValueError("the fault rates add up to more than 1")

    def kinds(self) -> list[tuple[str, float]]:
        """Each fault kind with its rate, in the order a request's uniform draw walks them (the first whose
        cumulative rate exceeds the draw wins)."""
        return [
            ("server_error", self.fail_rate),
            ("rate_limited", self.rate_limit_rate),
            ("slow", self.slow_rate),
            ("drip", self.drip_rate),
            ("truncated", self.truncate_rate),
            ("malformed", self.malformed_rate),
            ("wrong_schema", self.wrong_schema_rate),
        ]

    def to_args(self) -> list[str]:
        """The ``recomart metadata-api`` options that reproduce these faults."""
        args: list[str] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is True:
                args.append(f"--{f.name.replace('_', '-')}")
            elif value is not None and value != f.default:
                args += [f"--{f.name.replace('_', '-')}", str(value)]
        return args


# For the demo: about one request in five misbehaves, never more than twice in a row for the same
# request, so the default three attempts always get through and the lineage shows the retries.
DEMO_FAULTS = Faults(fail_rate=0.1, rate_limit_rate=0.03, retry_after=1, truncate_rate=0.03, malformed_rate=0.04,
                     burst=2, seed=1)


class _FaultPlan:
    """Draws the fault (or none) for each request, honouring ``burst`` per request key."""

    def __init__(self, faults: Faults):
        self.faults = faults
        self._rng = random.Random(faults.seed)
        self._in_a_row: dict[str, int] = {}
        self.blocked_until = 0.0  # monotonic time until which every request gets 429

    def draw(self, key: str) -> str | None:
        u = self._rng.random()
        if self.faults.burst is not None and self._in_a_row.get(key, 0) >= self.faults.burst:
            self._in_a_row.pop(key, None)
            return None
        for kind, rate in self.faults.kinds():
            if u < rate:
                self._in_a_row[key] = self._in_a_row.get(key, 0) + 1
                return kind
            u -= rate
        self._in_a_row.pop(key, None)
        return None

    def error_status(self) -> int:
        return self._rng.choice([500, 502, 503])


class InjectedTruncation(Exception):
    """Raised after a partial body on purpose: uvicorn then drops the connection mid-response."""


class _TruncatedResponse(Response):
    """Announces the full ``Content-Length``, sends half the body, then breaks the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True})
        raise InjectedTruncation("body cut off on purpose")


class _HideInjectedTruncation(logging.Filter):
    """Keep uvicorn from printing a traceback for every truncation we inject."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], InjectedTruncation))


def configure(app: FastAPI, faults: Faults | None = None, token: str | None = None) -> None:
    """Serve ``faults`` (a fresh fault sequence from their seed, no rate-limit window) and ``token`` from now on.

    ``token`` None means no authentication. Requests already in flight finish with what they drew.
    """
    app.state.plan = _FaultPlan(faults or Faults())
    app.state.token = token
    app.state.catalog = list(app.state.source.rows())
    app.state.added = 0


def _churn(app: FastAPI, page: list[CatalogRow], count: int) -> None:
    """Delete ``count`` products from the middle of ``page`` (just served) and append as many new ones."""
    catalog: list[CatalogRow] = app.state.catalog
    for row in page[len(page) // 2 :][:count]:
        catalog.remove(row)
        app.state.added += 1
        catalog.append((product_id(app.state.source.n_products + app.state.added), *row[1:]))
    log.info("catalog changed: %d product(s) deleted, as many appended", count)


def create_app(source: MetadataSource | None = None, faults: Faults | None = None, token: str | None = None) -> FastAPI:
    """The ASGI app; ``token`` None means no authentication (both can be changed with :func:`configure`)."""
    source = source or MetadataSource()
    app = FastAPI(
        title="Simulated product metadata API",
        version="1.0",
        description="Popularity, review sentiment and market trends per product and day (simulated third party).",
    )

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        METADATA_PATH,
        response_model=MetadataPage,
        responses={401: {"description": "Missing or wrong bearer token"}, 429: {"description": "Rate limited"}},
    )
    async def products_metadata(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        as_of: Annotated[date | None, Query(description="Day of the values (UTC); default today")] = None,
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
        cursor: Annotated[str | None, Query(max_length=MAX_ID_LENGTH, description=CURSOR_HELP)] = None,
    ) -> Response:
        """One page of product metadata as of ``as_of``; follow ``next_cursor`` (or ``next_page``) until null.

        Products are ordered by ``product_id``. A client that passes ``next_cursor`` as ``cursor``
        gets the products after the previous page's last one, so products added or removed while it
        pages shift nothing; ``page`` alone (offset paging) skips or repeats products then.
        """
        plan, token = app.state.plan, app.state.token
        if plan.faults.latency_ms:
            await asyncio.sleep(plan.faults.latency_ms / 1000)
        if (wait := plan.blocked_until - time.monotonic()) > 0:
            return _rate_limited(wait)
        if token is not None and (credentials is None or not secrets.compare_digest(credentials.credentials, token)):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})
        as_of = as_of or datetime.now(UTC).date()
        catalog: list[CatalogRow] = app.state.catalog
        cursor = None if plan.faults.offset_only else cursor
        total_pages = -(-len(catalog) // page_size)
        if cursor is None and page > max(total_pages, 1):
            raise HTTPException(404, f"page {page} is past the last page ({total_pages})")
        key = f"{as_of}/{page}/{page_size}"
        fault = plan.draw(key)
        if fault:
            log.info("injecting %s into %s", fault, key)
        if fault == "server_error":
            return Response("simulated outage", status_code=plan.error_status(), media_type="text/plain")
        if fault == "rate_limited":
            plan.blocked_until = time.monotonic() + plan.faults.retry_after
            return _rate_limited(plan.faults.retry_after)
        if fault == "slow":
            await asyncio.sleep(plan.faults.slow_ms / 1000)
        start = (page - 1) * page_size if cursor is None else bisect_right([row[0] for row in catalog], cursor)
        rows = catalog[start : start + page_size]
        items = [source.item(row, as_of) for row in rows]
        more = start + page_size < len(catalog)
        if cursor is None and page == 1 and plan.faults.churn:
            _churn(app, rows, plan.faults.churn)
        if fault == "wrong_schema":
            return Response(orjson.dumps({"results": items, "count": len(items)}), media_type="application/json")
        body = MetadataPage(
            as_of=as_of, page=page, page_size=page_size, total_items=len(catalog), total_pages=total_pages,
            next_page=page + 1 if more else None,
            next_cursor=rows[-1][0] if more and not plan.faults.offset_only else None, items=items,
        ).model_dump_json().encode()
        if fault == "truncated":
            return _TruncatedResponse(body, media_type="application/json")
        if fault == "malformed":
            return Response(body[: len(body) // 2], media_type="application/json")
        if fault == "drip":
            return _dripped(body, plan.faults.drip_bytes_per_second)
        return Response(body, media_type="application/json")

    app.state.source = source
    configure(app, faults, token)
    return app


def _dripped(body: bytes, bytes_per_second: int) -> StreamingResponse:
    """``body`` at ``bytes_per_second``, announced in full by ``Content-Length``, as a slow server sends it.

    Starlette stops the generator when the client disconnects, so an abandoned drip ends at once.
    """

    async def drip() -> AsyncIterator[bytes]:
        for start in range(0, len(body), bytes_per_second):
            if start:
                await asyncio.sleep(1)
            yield body[start : start + bytes_per_second]

    return StreamingResponse(drip(), media_type="application/json", headers={"Content-Length": str(len(body))})


def _rate_limited(wait: float) -> Response:
    return Response(
        "rate limited", status_code=429, headers={"Retry-After": str(max(1, round(wait + 0.499)))},
        media_type="text/plain",
    )


def uvicorn_server(app: FastAPI, host: str, port: int, **options: Any) -> uvicorn.Server:
    """A uvicorn server for ``app`` (``options`` go to ``uvicorn.Config``); run it, or set ``should_exit``.

    Graceful shutdown is short: a deliberately slow or dripping request must not hold up stopping it.
    """
    import uvicorn

    logging.getLogger("uvicorn.error").addFilter(_HideInjectedTruncation())
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, timeout_graceful_shutdown=1, **options))


def serve(host: str, port: int, app: FastAPI) -> None:
    """Run ``app`` in the foreground until SIGINT/SIGTERM."""
    uvicorn_server(app, host, port, log_level="info").run()
