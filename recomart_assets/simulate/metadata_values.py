"""What the simulated third party knows about each product on each day.

Values are a pure function of ``(seed, product_id, as_of)``: the same day always answers the same
values, whatever page size or order a client asks in, so a backfill of a past day is reproducible.
Category, brand and price come from the seeded master catalog (:mod:`.master`), so the metadata
joins the catalog, transactions and clickstream on ``product_id``.

Ranges (what the quality checks may expect when ``dirty_rate`` is 0):

========================  ==========================================================
``popularity_score``      float in [0, 100], two decimals; drifts smoothly day to day
``sentiment_score``       float in [-1, 1], three decimals
``trend``                 ``rising`` / ``stable`` / ``falling``: popularity against 7 days earlier
                          (a change above :data:`TREND_THRESHOLD` points either way)
``review_count``          int >= 0, never decreasing from one day to the next
``price``                 the catalog price (> 0)
``as_of``                 the requested day
========================  ==========================================================

``dirty_rate`` makes that share of (product, day) records defective the way third-party feeds
are: a null sentiment, a popularity above 100, a negative review count or an unknown trend.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from recomart_assets.simulate.master import DEFAULT_PRODUCTS, DEFAULT_SEED, generate_catalog

TRENDS = ("rising", "stable", "falling")
TREND_THRESHOLD = 2.0
TREND_DAYS = 7
# Reviews accumulate from this day on.
REVIEWS_SINCE = date(2025, 1, 1)


def _uniforms(*key: object, n: int) -> list[float]:
    """``n`` (<= 8) deterministic uniforms in [0, 1) for ``key``, stable across runs and platforms."""
    digest = hashlib.blake2b(":".join(map(str, key)).encode(), digest_size=8 * n).digest()
    return [int.from_bytes(digest[8 * i : 8 * i + 8], "big") / 2**64 for i in range(n)]


@dataclass(frozen=True)
class _Profile:
    """The slow-moving traits of a product that its daily values vary around."""

    popularity: float
    amplitude: float
    period: float
    phase: float
    sentiment: float
    reviews: float
    reviews_per_day: float


CatalogRow = tuple[str, str, str, float]


@lru_cache(maxsize=4)
def _catalog(seed: int, n_products: int) -> tuple[CatalogRow, ...]:
    frame = generate_catalog(seed, n_products)
    return tuple(frame[["product_id", "category", "brand", "price"]].itertuples(index=False, name=None))


def _profile(seed: int, product_id: str) -> _Profile:
    u = _uniforms(seed, product_id, "profile", n=7)
    return _Profile(
        popularity=5 + 85 * u[0] ** 1.5,  # most products are niche, a few are hits
        amplitude=2 + 13 * u[1],
        period=20 + 70 * u[2],
        phase=u[3],
        sentiment=-0.6 + 1.5 * u[4],
        reviews=500 * u[5] ** 2,
        reviews_per_day=0.1 + 20 * u[6] ** 3,
    )


def _popularity(seed: int, product_id: str, profile: _Profile, day: date) -> float:
    (noise,) = _uniforms(seed, product_id, day.isoformat(), "popularity", n=1)
    wave = profile.amplitude * math.sin(2 * math.pi * (day.toordinal() / profile.period + profile.phase))
    return min(100.0, max(0.0, profile.popularity + wave + 6 * (noise - 0.5)))


def _trend(today: float, week_ago: float) -> str:
    if today - week_ago > TREND_THRESHOLD:
        return "rising"
    if week_ago - today > TREND_THRESHOLD:
        return "falling"
    return "stable"


@dataclass(frozen=True)
class MetadataSource:
    """The simulated third party's view of the seeded catalog."""

    seed: int = DEFAULT_SEED
    n_products: int = DEFAULT_PRODUCTS
    dirty_rate: float = 0.0

    def rows(self) -> tuple[CatalogRow, ...]:
        """The catalog as ``(product_id, category, brand, price)``, ordered by ``product_id``."""
        return _catalog(self.seed, self.n_products)

    def items(self, as_of: date, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        """Records ``start:stop`` (catalog order) as of ``as_of``; keys in CSV column order."""
        return [self.item(row, as_of) for row in self.rows()[start:stop]]

    def item(self, row: CatalogRow, as_of: date) -> dict[str, Any]:
        """The record of catalog ``row`` as of ``as_of`` (a pure function of the seed, its id and the day)."""
        product_id, category, brand, price = row
        profile = _profile(self.seed, product_id)
        popularity = _popularity(self.seed, product_id, profile, as_of)
        week_ago = _popularity(self.seed, product_id, profile, as_of - timedelta(days=TREND_DAYS))
        sentiment_noise, dirty, defect = _uniforms(self.seed, product_id, as_of.isoformat(), "daily", n=3)
        days = max(0, (as_of - REVIEWS_SINCE).days)
        item: dict[str, Any] = {
            "product_id": product_id,
            "category": category,
            "brand": brand,
            "price": price,
            "popularity_score": round(popularity, 2),
            "sentiment_score": round(min(1.0, max(-1.0, profile.sentiment + 0.2 * (sentiment_noise - 0.5))), 3),
            "trend": _trend(popularity, week_ago),
            "review_count": int(profile.reviews + profile.reviews_per_day * days),
            "as_of": as_of.isoformat(),
        }
        if dirty < self.dirty_rate:
            field, value = [
                ("sentiment_score", None),
                ("popularity_score", 140.0),
                ("review_count", -1),
                ("trend", "unknown"),
            ][int(defect * 4)]
            item[field] = value
        return item
