"""The simulated API over real HTTP: pagination, determinism per day, OpenAPI, bearer token, faults."""

import os

import httpx
import pytest

from recomart_assets.platform.metadata_api import metadata_api_process
from recomart_assets.platform.services import free_port
from recomart_assets.simulate.metadata_server import Faults
from recomart_assets.sources.http.metadata_schema import METADATA_PATH, MetadataPage
from recomart_assets_tests.fixtures.metadata_api import PRODUCTS

pytestmark = pytest.mark.integration


def _get(url, **params):
    return httpx.get(url + METADATA_PATH, params=params, timeout=10)


def test_pages_cover_every_product_once(clean_api):
    seen, page, pages = [], 1, 0
    while page is not None:
        response = _get(clean_api, as_of="2026-01-05", page=page, page_size=100)
        assert response.status_code == 200
        body = MetadataPage.model_validate_json(response.content)
        assert (body.page, body.total_items, body.total_pages) == (page, PRODUCTS, 3)
        seen += [item.product_id for item in body.items]
        page, pages = body.next_page, pages + 1
    assert pages == 3
    assert seen == [f"P{n:06d}" for n in range(1, PRODUCTS + 1)]
    assert _get(clean_api, as_of="2026-01-05", page=4, page_size=100).status_code == 404
    assert _get(clean_api, page_size=5000).status_code == 422
    assert _get(clean_api, as_of="not-a-day").status_code == 422


def test_values_are_deterministic_per_day(clean_api):
    first = _get(clean_api, as_of="2026-02-01", page=2, page_size=50).content
    assert _get(clean_api, as_of="2026-02-01", page=2, page_size=50).content == first
    other_day = MetadataPage.model_validate_json(_get(clean_api, as_of="2026-02-02", page=2, page_size=50).content)
    assert other_day.items != MetadataPage.model_validate_json(first).items
    assert {str(item.as_of) for item in other_day.items} == {"2026-02-02"}


def test_openapi_documents_the_endpoint(clean_api):
    document = httpx.get(clean_api + "/openapi.json", timeout=10).json()
    operation = document["paths"][METADATA_PATH]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"as_of", "page", "page_size", "cursor"}
    assert "next_cursor" in document["components"]["schemas"]["MetadataPage"]["properties"]
    assert "MetadataPage" in document["components"]["schemas"]
    assert "HTTPBearer" in document["components"]["securitySchemes"]


def test_bearer_token_is_required_when_configured(metadata_api):
    url = metadata_api(token="s3cret-token")
    assert _get(url).status_code == 401
    assert httpx.get(url + METADATA_PATH, headers={"Authorization": "Bearer wrong"}, timeout=10).status_code == 401
    ok = httpx.get(url + METADATA_PATH, params={"page_size": 10}, headers={"Authorization": "Bearer s3cret-token"},
                   timeout=10)
    assert ok.status_code == 200


def test_the_command_serves_faults_catalog_and_token_from_its_options_and_environment(tmp_path):
    # The subprocess is the point here: `recomart metadata-api` turns options and environment into a server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOMART_")}
    env |= {"RECOMART_RAW_ZONE": str(tmp_path / "raw_zone"), "RECOMART_METADATA_API_TOKEN": "env-token"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    faults = Faults(fail_rate=1.0, burst=1)
    with metadata_api_process("127.0.0.1", port, faults, products=PRODUCTS, env=env):
        assert _get(url, page_size=10).status_code == 401
        auth = {"Authorization": "Bearer env-token"}
        params = {"as_of": "2026-01-05", "page_size": 10}
        assert httpx.get(url + METADATA_PATH, params=params, headers=auth, timeout=10).status_code >= 500
        ok = httpx.get(url + METADATA_PATH, params=params, headers=auth, timeout=10)  # burst 1: then it answers
        assert ok.status_code == 200
        assert MetadataPage.model_validate_json(ok.content).total_items == PRODUCTS


def test_rate_limit_window_and_burst_cap(metadata_api):
    url = metadata_api(Faults(rate_limit_rate=1.0, retry_after=30, burst=1))
    first = _get(url, page_size=10)
    assert first.status_code == 429 and int(first.headers["Retry-After"]) == 30
    # Inside the announced window every request is refused, whatever the burst cap says.
    assert _get(url, page_size=10).status_code == 429


def test_truncated_body_breaks_the_connection(metadata_api):
    url = metadata_api(Faults(truncate_rate=1.0, burst=1))
    with pytest.raises(httpx.RemoteProtocolError):
        _get(url, page_size=10)
    assert _get(url, page_size=10).status_code == 200  # burst 1: the same request then succeeds


def test_drip_sends_the_announced_body_a_few_bytes_at_a_time(metadata_api):
    url = metadata_api(Faults(drip_rate=1.0, drip_bytes_per_second=2))
    with httpx.stream("GET", url + METADATA_PATH, params={"page_size": 10}, timeout=10) as response:
        assert response.status_code == 200 and int(response.headers["Content-Length"]) > 1000
        chunks = response.iter_raw()
        assert [len(next(chunks)) for _ in range(3)] == [2, 2, 2]


def test_fault_rates_above_one_are_refused():
    with pytest.raises(ValueError, match="more than 1"):
        Faults(fail_rate=0.6, malformed_rate=0.6)
