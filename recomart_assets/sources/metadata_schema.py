"""The shape of the external metadata API's answer, as we consume it.

One page of ``GET /products/metadata`` is a :class:`MetadataPage`. The simulated server declares
it as its response model (so ``/openapi.json`` documents it) and the pull validates every page
against it before accepting it. Only the *structure* is checked here: every field present with the
right type. Values may be null or out of range (third-party data is messy); the raw zone keeps them
as received and the quality checks judge them (ranges: see :mod:`recomart_assets.simulate.metadata_values`).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

METADATA_PATH = "/products/metadata"
MAX_PAGE_SIZE = 1000


class MetadataItem(BaseModel):
    """Metadata of one product on one ``as_of`` day; field order is the CSV column order."""

    model_config = ConfigDict(extra="ignore")

    product_id: str = Field(min_length=1)
    category: str | None
    brand: str | None
    price: float | None
    popularity_score: float | None = Field(description="0 to 100, share of attention in its category")
    sentiment_score: float | None = Field(description="-1 (negative) to 1 (positive), mean review sentiment")
    trend: str | None = Field(description="rising, stable or falling (popularity against a week earlier)")
    review_count: int | None = Field(description="reviews published up to as_of, >= 0")
    as_of: date


class MetadataPage(BaseModel):
    """One page: ``items`` plus what the client needs to walk and cross-check the pages."""

    as_of: date
    page: int = Field(ge=1)
    page_size: int = Field(ge=1)
    total_items: int = Field(ge=0)
    total_pages: int = Field(ge=0)
    next_page: int | None
    items: list[MetadataItem]


CSV_COLUMNS = list(MetadataItem.model_fields)
