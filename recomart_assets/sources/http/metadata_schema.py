"""The shape of the external metadata API's answer, as we consume it.

One page of ``GET /products/metadata`` is a :class:`MetadataPage`. The simulated server declares
it as its response model (so ``/openapi.json`` documents it). The pull validates each page's
structure (:class:`PageEnvelope`) and then each item on its own against :class:`MetadataItem`, so
one record outside the types goes to quarantine with its reason and the others are pulled.
Only the *types* are checked here: every field present, of its type and within what the type can
hold. Values may be null or out of range (third-party data is messy); the raw zone keeps them as
received and the quality checks judge them (ranges: see :mod:`recomart_assets.simulate.metadata_values`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

METADATA_PATH = "/products/metadata"
MAX_PAGE_SIZE = 1000
MAX_ID_LENGTH = 200
MAX_TEXT_LENGTH = 1000
INT64 = (-(2**63), 2**63 - 1)

# The value types of a record: what a CSV column and the quality engines hold. Anything outside
# them (an integer beyond 64 bits, NaN or an infinity, an object where a scalar belongs, a text
# longer than any category or brand) is a validation error naming the field.
Integer = Annotated[int, Field(ge=INT64[0], le=INT64[1])]
Number = Annotated[float, Field(allow_inf_nan=False)]
Text = Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]
CURSOR_HELP = ("Opaque cursor from the previous page's next_cursor: the page then starts after that page's last "
               "product, so products added or removed meanwhile shift nothing (keyset paging by product_id).")


class MetadataItem(BaseModel):
    """Metadata of one product on one ``as_of`` day; field order is the CSV column order."""

    model_config = ConfigDict(extra="ignore")

    product_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    category: Text | None
    brand: Text | None
    price: Number | None
    popularity_score: Number | None = Field(description="0 to 100, share of attention in its category")
    sentiment_score: Number | None = Field(description="-1 (negative) to 1 (positive), mean review sentiment")
    trend: Text | None = Field(description="rising, stable or falling (popularity against a week earlier)")
    review_count: Integer | None = Field(description="reviews published up to as_of, >= 0 (a 64-bit integer)")
    as_of: date


class PageEnvelope(BaseModel):
    """A page as the pull first reads it: its structure checked, its items not yet (each on its own)."""

    as_of: date
    # plain ``int`` with both bounds here: on ``Integer`` a ``Field(ge=...)`` was overridden by its own 64-bit lower
    # bound, so a page 0 or a negative total passed
    page: int = Field(ge=1, le=INT64[1])
    page_size: int = Field(ge=1, le=INT64[1])
    total_items: int = Field(ge=0, le=INT64[1])
    total_pages: int = Field(ge=0, le=INT64[1])
    next_page: Integer | None
    next_cursor: str | None = Field(default=None, max_length=MAX_ID_LENGTH,
                                    description="Pass as cursor to get the next page; null on the last page and "
                                    "from servers that page by offset only.")
    items: list[Any]


class MetadataPage(PageEnvelope):
    """One page: ``items`` plus what the client needs to walk and cross-check the pages."""

    items: list[MetadataItem]


CSV_COLUMNS = list(MetadataItem.model_fields)
