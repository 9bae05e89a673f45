"""The simulated third party's values: deterministic per product and day, in the documented ranges."""

from datetime import date, timedelta

import pandas as pd

from recomart_assets.simulate.master import generate_catalog
from recomart_assets.simulate.metadata_values import TRENDS, MetadataSource
from recomart_assets.sources.http.metadata_schema import CSV_COLUMNS, MetadataItem

DAY = date(2026, 1, 5)


def test_same_day_same_values_whatever_the_slicing():
    source = MetadataSource(n_products=120)
    whole = source.items(DAY)
    assert MetadataSource(n_products=120).items(DAY) == whole
    assert source.items(DAY, 0, 50) + source.items(DAY, 50, 120) == whole


def test_another_day_changes_the_daily_values_only():
    source = MetadataSource(n_products=120)
    today, tomorrow = pd.DataFrame(source.items(DAY)), pd.DataFrame(source.items(DAY + timedelta(days=1)))
    assert (today["popularity_score"] != tomorrow["popularity_score"]).mean() > 0.9
    master_columns = ["product_id", "category", "brand", "price"]
    assert today[master_columns].equals(tomorrow[master_columns])
    assert (tomorrow["review_count"] >= today["review_count"]).all()
    assert set(tomorrow["as_of"]) == {"2026-01-06"}


def test_values_match_the_catalog_and_the_documented_ranges():
    frame = pd.DataFrame(MetadataSource(seed=42, n_products=500).items(DAY))
    catalog = generate_catalog(42, 500)
    assert list(frame.columns) == CSV_COLUMNS
    master_columns = ["product_id", "category", "brand", "price"]
    assert frame[master_columns].equals(catalog[master_columns])
    assert frame["popularity_score"].between(0, 100).all()
    assert frame["sentiment_score"].between(-1, 1).all()
    assert (frame["review_count"] >= 0).all()
    assert set(frame["trend"]) == set(TRENDS)
    for item in frame.head(5).to_dict("records"):
        MetadataItem.model_validate(item)


def test_dirty_rate_injects_defects_that_still_fit_the_structure():
    frame = pd.DataFrame(MetadataSource(n_products=1000, dirty_rate=0.2).items(DAY))
    defects = (
        frame["sentiment_score"].isna()
        | (frame["popularity_score"] > 100)
        | (frame["review_count"] < 0)
        | ~frame["trend"].isin(TRENDS)
    )
    assert 150 < defects.sum() < 250
    for item in frame[defects].head(20).to_dict("records"):
        MetadataItem.model_validate({k: (None if pd.isna(v) else v) for k, v in item.items()})
