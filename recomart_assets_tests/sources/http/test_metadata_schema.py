"""The metadata API's answer as we consume it: types checked, values left to the quality checks."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from recomart_assets.sources.http.metadata_schema import (
    CSV_COLUMNS,
    MAX_ID_LENGTH,
    MAX_TEXT_LENGTH,
    MetadataItem,
    MetadataPage,
    PageEnvelope,
)

ITEM = {"product_id": "P000001", "category": "books", "brand": "Northpage", "price": 12.5, "popularity_score": 50.0,
        "sentiment_score": 0.2, "trend": "rising", "review_count": 3, "as_of": "2026-01-05"}
PAGE = {"as_of": "2026-01-05", "page": 1, "page_size": 2, "total_items": 1, "total_pages": 1, "next_page": None}


def test_the_csv_columns_are_the_item_fields_in_order():
    assert CSV_COLUMNS == ["product_id", "category", "brand", "price", "popularity_score", "sentiment_score", "trend",
                           "review_count", "as_of"]


def test_values_out_of_range_or_null_are_kept_and_unknown_fields_ignored():
    item = MetadataItem.model_validate({**ITEM, "popularity_score": 150.0, "review_count": -1, "trend": "up",
                                        "brand": None, "extra": "x"})
    assert (item.popularity_score, item.review_count, item.trend, item.brand) == (150.0, -1, "up", None)
    assert item.as_of == date(2026, 1, 5) and not hasattr(item, "extra")


@pytest.mark.parametrize(("field", "value"), [
    ("review_count", 2**63),  # beyond 64 bits
    ("price", float("nan")),
    ("popularity_score", float("inf")),
    ("category", "x" * (MAX_TEXT_LENGTH + 1)),
    ("product_id", ""),
    ("product_id", "P" * (MAX_ID_LENGTH + 1)),
    ("category", {"name": "books"}),
    ("as_of", "yesterday"),
])
def test_a_value_outside_its_type_names_the_field(field, value):
    with pytest.raises(ValidationError) as raised:
        MetadataItem.model_validate({**ITEM, field: value})
    assert raised.value.errors()[0]["loc"][0] == field


def test_the_largest_64_bit_count_is_accepted():
    assert MetadataItem.model_validate({**ITEM, "review_count": 2**63 - 1}).review_count == 2**63 - 1


def test_the_envelope_checks_the_structure_and_leaves_items_to_the_page():
    envelope = PageEnvelope.model_validate({**PAGE, "items": [{"anything": 1}]})
    assert envelope.items == [{"anything": 1}] and envelope.next_cursor is None
    for field, value in (("page", 0), ("page_size", 0), ("total_items", -1), ("total_pages", -1), ("page", 2**63)):
        with pytest.raises(ValidationError):
            PageEnvelope.model_validate({**PAGE, field: value, "items": []})
    with pytest.raises(ValidationError):
        MetadataPage.model_validate({**PAGE, "items": [{"anything": 1}]})
    page = MetadataPage.model_validate({**PAGE, "items": [ITEM]})
    assert page.items[0].product_id == "P000001"
