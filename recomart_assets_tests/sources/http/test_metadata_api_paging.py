"""Paging a catalog that changes while the pull walks it: never a silently incomplete snapshot.

The simulated server deletes products from the first page and appends as many new ones right after
answering that page (``Faults(churn=...)``). With offset paging every later page then starts later
than the client expects, and the product that slid onto page 1 is seen by no request.
"""

from dataclasses import replace

import httpx
import pandas as pd
import pytest

from recomart_assets.simulate.metadata_server import Faults
from recomart_assets.sources.http.metadata_api import MetadataPullError, pull_metadata
from recomart_assets.sources.http.metadata_schema import METADATA_PATH
from recomart_assets_tests.fixtures.metadata_api import FAST, PRODUCTS

pytestmark = pytest.mark.integration

DAY = "2026-01-05"


def _catalog_ids(url: str) -> set[str]:
    """Every product_id the server holds now (one page large enough for the whole catalog)."""
    body = httpx.get(url + METADATA_PATH, params={"as_of": DAY, "page_size": 1000}, timeout=10).json()
    return {item["product_id"] for item in body["items"]}


def test_a_catalog_changing_between_pages_loses_no_product_present_before_and_after(zone, metadata_api,
                                                                                        api_settings):
    url = metadata_api(Faults(churn=1))
    before = {f"P{n:06d}" for n in range(1, PRODUCTS + 1)}
    manifest = pull_metadata(api_settings(url), DAY, FAST)
    after = _catalog_ids(url)  # this request was a first page too: one more change, not seen by the pull
    pulled = pd.read_csv(zone.root / "external_metadata" / DAY / manifest.file)["product_id"]
    assert pulled.is_unique
    assert before - set(pulled) <= before - after  # only a deleted product may be absent
    assert manifest.record_count == len(pulled)
    assert manifest.source.paging == "cursor"


def test_offset_paging_over_a_changing_catalog_fails_clearly_and_writes_nothing(zone, metadata_api,
                                                                                api_settings):
    # A third party without cursors whose catalog changes during every pass: no two passes agree.
    url = metadata_api(Faults(churn=1, offset_only=True))
    with pytest.raises(MetadataPullError, match="catalog changed while paging") as failure:
        pull_metadata(api_settings(url), DAY, replace(FAST, passes=3))
    assert "3 passes" in str(failure.value)
    assert not (zone.root / "external_metadata").exists() or not any((zone.root / "external_metadata").rglob("*"))


def test_offset_paging_of_a_steady_catalog_is_confirmed_by_a_second_pass(zone, metadata_api, api_settings):
    url = metadata_api(Faults(offset_only=True))
    manifest = pull_metadata(api_settings(url), DAY, FAST)
    assert manifest.record_count == PRODUCTS
    assert manifest.source.paging == "offset" and manifest.source.passes == 2
