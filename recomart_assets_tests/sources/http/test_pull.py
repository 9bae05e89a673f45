"""A second REST source needs only its page model and its walk: the reusable pull does the rest.

A tiny "ratings API" (FastAPI, served over a real socket as the metadata API is) fails its first
request with 503 and then asks the client to slow down with 429 + Retry-After; a pull of its two
pages is these few lines, with the deadline, retries and JSON handling of the metadata pull.
"""

import asyncio

import pytest
from fastapi import FastAPI, Response
from pydantic import BaseModel

from recomart_assets.errors import PullError
from recomart_assets.sources.http.pull import PullOptions, PullStats, client, fetch_page, request_headers
from recomart_assets_tests.fixtures.metadata_api import FAST, served_in_thread


class RatingsPage(BaseModel):
    """The second API's page model: all it has to declare."""

    ratings: dict[str, float]
    next_page: int | None


def ratings_app(failures: list[int]) -> FastAPI:
    app = FastAPI()

    @app.get("/ratings")
    def ratings(page: int, response: Response) -> dict:
        if failures:
            response.status_code = failures.pop(0)
            response.headers["Retry-After"] = "0"
            return {}
        return {"ratings": {f"p{page}": page / 2}, "next_page": page + 1 if page < 2 else None}

    return app


async def pull_ratings(url: str, options: PullOptions, stats: PullStats) -> dict[str, float]:
    """The whole second source: walk the pages, merge what they hold."""
    found, page = {}, 1
    async with client(options, request_headers()) as http:
        while page is not None:
            answer = await fetch_page(http, url + "/ratings", {"page": page}, options, stats, RatingsPage)
            found.update(answer.ratings)
            page = answer.next_page
    return found


def test_a_second_api_pulls_with_retries_and_retry_after():
    stats = PullStats()
    with served_in_thread(ratings_app([503, 429])) as url:
        assert asyncio.run(pull_ratings(url, FAST, stats)) == {"p1": 0.5, "p2": 1.0}
    assert stats.attempts == 4
    assert dict(stats.failures) == {"http_503": 1, "http_429": 1}


def test_a_second_api_fails_with_the_url_and_the_attempts():
    with served_in_thread(ratings_app([500] * FAST.attempts)) as url, pytest.raises(PullError) as failed:
        asyncio.run(pull_ratings(url, FAST, PullStats()))
    assert "/ratings?page=1" in failed.value.url and failed.value.attempts == FAST.attempts
