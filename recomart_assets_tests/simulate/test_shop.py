"""The shop's vocabulary agrees with what the quality rules accept and gives every category its products."""

from __future__ import annotations

from recomart_assets.quality.rules.schemas import DEVICES as VALID_DEVICES
from recomart_assets.simulate.shop import CATEGORIES, DEVICES, NOUNS


def test_simulated_devices_are_the_ones_the_rules_accept():
    assert sorted(DEVICES) == sorted(VALID_DEVICES)


def test_every_category_has_brands_a_price_and_product_nouns():
    assert set(NOUNS) == set(CATEGORIES)
    for category, (brands, median) in CATEGORIES.items():
        assert brands and len(set(brands)) == len(brands), category
        assert median > 0, category
        assert NOUNS[category] and len(set(NOUNS[category])) == len(NOUNS[category]), category
