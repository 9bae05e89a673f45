"""The retry policy in isolation (mocked transport): what is retried, how often, and what is not."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from recomart_assets.config import Settings
from recomart_assets.simulate.metadata_values import MetadataSource
from recomart_assets.sources.http.metadata_api import MetadataPullError, fetch_metadata
from recomart_assets.sources.http.pull import BadResponse, parse_retry_after, retry_decision
from recomart_assets_tests.fixtures.metadata_api import FAST

API = "http://metadata.test"
DAY = "2026-01-05"
SETTINGS = Settings.from_env({"RECOMART_METADATA_API_URL": API, "RECOMART_METADATA_API_TOKEN": "tok-123"})


def _page(n_items: int = 3) -> dict:
    return {
        "as_of": DAY, "page": 1, "page_size": 100, "total_items": n_items, "total_pages": 1, "next_page": None,
        "items": MetadataSource(n_products=n_items).items(datetime(2026, 1, 5).date()),
    }


def test_5xx_then_success(httpx_mock):
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(status_code=500)
    httpx_mock.add_response(json=_page())
    lake_frame = fetch_metadata(SETTINGS, DAY, FAST)
    assert len(lake_frame.frame) == 3
    assert lake_frame.source.attempts == 3
    assert lake_frame.source.failed_attempts == {"http_503": 1, "http_500": 1}
    assert all(r.headers["Authorization"] == "Bearer tok-123" for r in httpx_mock.get_requests())
    assert "tok-123" not in repr(lake_frame.source)


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_other_4xx_is_not_retried(httpx_mock, status):
    httpx_mock.add_response(status_code=status)
    with pytest.raises(MetadataPullError) as failure:
        fetch_metadata(SETTINGS, DAY, FAST)
    assert len(httpx_mock.get_requests()) == 1
    message = str(failure.value)
    assert f"{API}/products/metadata?as_of={DAY}&page=1&page_size=100" in message
    assert f"HTTP {status}" in message and "after 1 attempt" in message


@pytest.mark.parametrize(
    "error", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("cut off")]
)
def test_transport_errors_are_retried_then_reported(httpx_mock, error):
    for _ in range(FAST.attempts):
        httpx_mock.add_exception(error)
    with pytest.raises(MetadataPullError, match="after 3 attempts") as failure:
        fetch_metadata(SETTINGS, DAY, FAST)
    assert len(httpx_mock.get_requests()) == 3
    assert type(error).__name__ in str(failure.value) or "truncated" in str(failure.value)


def test_unparseable_json_is_retried(httpx_mock):
    httpx_mock.add_response(content=b'{"as_of": "2026-01-05", "items": [')
    httpx_mock.add_response(json=_page())
    assert fetch_metadata(SETTINGS, DAY, FAST).source.failed_attempts == {"malformed_json": 1}


def test_wrong_shape_is_an_error_at_once(httpx_mock):
    httpx_mock.add_response(json={"results": [], "count": 0})
    with pytest.raises(MetadataPullError, match="unexpected response shape") as failure:
        fetch_metadata(SETTINGS, DAY, FAST)
    assert failure.value.attempts == 1


def test_inconsistent_pages_are_an_error(httpx_mock):
    page = _page()
    page["as_of"] = "2026-01-04"
    httpx_mock.add_response(json=page)
    with pytest.raises(MetadataPullError, match="as_of 2026-01-04 instead of 2026-01-05"):
        fetch_metadata(SETTINGS, DAY, FAST)


def test_429_waits_what_retry_after_asks():
    decide = retry_decision(FAST)
    wait = decide(BadResponse("http_429", "rate limited", retryable=True, retry_after=2.0))
    assert 2.0 <= wait <= 2.0 + FAST.wait_jitter
    assert decide(BadResponse("http_429", "rate limited", retryable=True, retry_after=None)) is True
    # Longer than we are willing to wait: give up rather than retry too early.
    too_long = FAST.max_retry_after + 1
    assert decide(BadResponse("http_429", "rate limited", retryable=True, retry_after=too_long)) is False
    assert decide(BadResponse("http_404", "not found", retryable=False)) is False
    assert decide(ValueError("a bug")) is False


def test_429_retry_after_zero_is_retried(httpx_mock):
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "0"})
    httpx_mock.add_response(json=_page())
    assert fetch_metadata(SETTINGS, DAY, FAST).source.failed_attempts == {"http_429": 1}


def test_429_asking_longer_than_our_limit_gives_up_at_once(httpx_mock):
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "3600"})
    with pytest.raises(MetadataPullError, match="after 1 attempt: HTTP 429") as failure:
        fetch_metadata(SETTINGS, DAY, FAST)
    assert failure.value.attempts == 1


def test_retry_after_formats():
    assert parse_retry_after("7") == 7.0
    later = datetime.now(UTC) + timedelta(seconds=30)
    assert 25 < parse_retry_after(format_datetime(later, usegmt=True)) <= 30
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
