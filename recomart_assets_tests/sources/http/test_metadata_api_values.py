"""Values outside the schema's types (huge integers, NaN, nested objects, very long strings) are
validation errors naming the field: the record goes to quarantine with its reason, the others are
pulled, and nothing ends in a traceback."""

import orjson
import pandas as pd
import pytest

from recomart_assets.config import Settings
from recomart_assets.lake import read_manifest, verify_tree
from recomart_assets.simulate.metadata_values import MetadataSource
from recomart_assets.sources.http.metadata_api import MetadataPullError, fetch_metadata, pull_metadata
from recomart_assets_tests.fixtures.metadata_api import FAST

API = "http://metadata.test"
DAY = "2026-01-05"
SETTINGS = Settings.from_env({"RECOMART_METADATA_API_URL": API})
REASON_LIMIT = 600

# field -> JSON text of a value outside its type; each replaces the value of one product
HOSTILE = {
    "review_count": "1" + "0" * 30,
    "price": "9" * 5000,
    "popularity_score": "NaN",
    "sentiment_score": "-Infinity",
    "category": '{"nested": {"deep": [1, 2, 3]}}',
    "brand": orjson.dumps("b" * 100_000).decode(),
    "trend": "1e400",
    "product_id": "[1, 2]",
}


def _body(hostile: dict[str, str]) -> tuple[bytes, list[str]]:
    """A one-page answer whose n-th product carries the n-th hostile value; also every product_id."""
    items = MetadataSource(n_products=len(hostile) + 2).items(pd.Timestamp(DAY).date())
    texts = []
    for n, item in enumerate(items):
        text = orjson.dumps(item).decode()
        if n < len(hostile):
            field, value = list(hostile.items())[n]
            text = text.replace(f'"{field}":{orjson.dumps(item[field]).decode()}', f'"{field}":{value}', 1)
            assert value in text
        texts.append(text)
    page = (f'{{"as_of":"{DAY}","page":1,"page_size":100,"total_items":{len(items)},"total_pages":1,'
            f'"next_page":null,"items":[{",".join(texts)}]}}')
    return page.encode(), [item["product_id"] for item in items]


def test_out_of_type_values_are_quarantined_with_the_field_named(httpx_mock):
    body, ids = _body(HOSTILE)
    httpx_mock.add_response(content=body, headers={"Content-Type": "application/json"})
    pulled = fetch_metadata(SETTINGS, DAY, FAST)
    assert list(pulled.frame["product_id"]) == ids[len(HOSTILE):]  # the well-typed ones
    assert len(pulled.rejects) == len(HOSTILE)
    for reject, field in zip(pulled.rejects, HOSTILE, strict=True):
        assert reject["reason"].startswith(f"{field}: "), reject["reason"]
        assert len(reject["reason"]) < REASON_LIMIT


def test_a_huge_integer_in_a_page_field_fails_the_page_clearly(httpx_mock):
    body, _ = _body({})
    httpx_mock.add_response(content=body.replace(b'"total_items":2', b'"total_items":' + b"7" * 5000))
    with pytest.raises(MetadataPullError, match="unexpected response shape.*total_items") as failure:
        fetch_metadata(SETTINGS, DAY, FAST)
    assert len(str(failure.value)) < REASON_LIMIT


def test_the_pull_writes_rejects_to_quarantine_and_counts_every_record_once(zone, httpx_mock):
    body, ids = _body(HOSTILE)
    httpx_mock.add_response(content=body)
    settings = Settings.from_env({"RECOMART_METADATA_API_URL": API, "RECOMART_RAW_ZONE": str(zone.root)})
    manifest = pull_metadata(settings, DAY, FAST)
    rejects = zone.quarantine_dir("external_metadata", DAY) / f"external_metadata_{DAY}.jsonl"
    quarantined = read_manifest(rejects)
    assert manifest.record_count + quarantined.record_count == len(ids)
    assert manifest.source.quarantined == len(HOSTILE)
    lines = [orjson.loads(line) for line in rejects.read_bytes().splitlines()]
    assert [line["reason"].split(":")[0] for line in lines] == list(HOSTILE)
    assert lines[0]["record"]["review_count"] == HOSTILE["review_count"]  # the number's text, as received
    assert quarantined.bytes < 200_000 and len(read_manifest(rejects).to_json()) < 2000
    assert verify_tree(zone.root).ok

    # A second pull of the day without bad records leaves no stale rejects behind.
    clean, _ = _body({})
    httpx_mock.add_response(content=clean)
    pull_metadata(settings, DAY, FAST)
    assert read_manifest(rejects).record_count == 0
    assert verify_tree(zone.root).ok
