"""``recomart metadata-api``: its options become the server's faults and catalog, served on the configured address.

``serve`` (uvicorn in the foreground until a signal) is replaced by one that records its arguments;
the app it was given is then served for real on loopback, in a thread, and stopped.
"""

from __future__ import annotations

import httpx
import pytest
from click.testing import CliRunner

from recomart_assets.cli import metadata_api
from recomart_assets.sources.http.metadata_schema import METADATA_PATH
from recomart_assets_tests.fixtures.metadata_api import served_in_thread


@pytest.fixture
def served(monkeypatch):
    found: list[tuple] = []
    monkeypatch.setattr(metadata_api, "serve", lambda host, port, app: found.append((host, port, app)))
    return found


def test_the_address_defaults_to_the_configured_url(served):
    result = CliRunner().invoke(metadata_api.command, [], env={"RECOMART_METADATA_API_URL": "http://127.0.0.3:8123",
                                                               "RECOMART_METADATA_API_TOKEN": None})
    assert result.exit_code == 0, result.output
    assert served[0][:2] == ("127.0.0.3", 8123)
    result = CliRunner().invoke(metadata_api.command, ["--host", "127.0.0.1", "--port", "9001"],
                                env={"RECOMART_METADATA_API_URL": "http://127.0.0.3:8123"})
    assert served[1][:2] == ("127.0.0.1", 9001)


def test_the_catalog_options_and_the_token_shape_the_served_app(served):
    result = CliRunner().invoke(metadata_api.command, ["--products", "7", "--offset-only"],
                                env={"RECOMART_METADATA_API_TOKEN": "s3cret"})
    assert result.exit_code == 0, result.output
    with served_in_thread(served[0][2]) as url:
        params = {"as_of": "2026-01-05", "page": 1, "page_size": 5}
        assert httpx.get(url + METADATA_PATH, params=params, timeout=10).status_code == 401
        page = httpx.get(url + METADATA_PATH, params=params, headers={"Authorization": "Bearer s3cret"},
                         timeout=10).json()
    assert page["total_items"] == 7 and len(page["items"]) == 5
    assert page["next_cursor"] is None  # offset paging only


def test_fault_rates_that_add_up_to_more_than_one_are_a_usage_error(served):
    result = CliRunner().invoke(metadata_api.command, ["--fail-rate", "0.6", "--malformed-rate", "0.6"])
    assert result.exit_code == 2 and "add up to more than 1" in result.output and served == []
    assert CliRunner().invoke(metadata_api.command, ["--fail-rate", "1.5"]).exit_code == 2
