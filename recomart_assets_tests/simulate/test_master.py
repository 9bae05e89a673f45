"""The master-data simulator: deterministic by seed, ids in their formats, defects counted."""

from __future__ import annotations

import pandas as pd

from recomart_assets.simulate.master import customer_id, dirty, generate_catalog, generate_customers, product_id


def test_ids_and_determinism():
    assert (product_id(7), customer_id(12)) == ("P000007", "C000012")
    catalog = generate_catalog(seed=3, n_products=20)
    assert catalog.equals(generate_catalog(seed=3, n_products=20))
    assert not catalog.equals(generate_catalog(seed=4, n_products=20))
    assert catalog["product_id"].is_unique and catalog["product_id"].str.fullmatch(r"P\d{6}").all()
    customers = generate_customers(seed=3, n_customers=15)
    assert len(customers) == 15 and customers["customer_id"].str.fullmatch(r"C\d{6}").all()


def test_dirty_injects_what_it_counts():
    frame = pd.DataFrame({"id": [f"x{i}" for i in range(100)], "a": ["v"] * 100, "b": ["w"] * 100})
    assert dirty(frame, 0, seed=1, bad_value={"a": "BAD"})[1].missing_values == 0
    dirtied, defects = dirty(frame, 0.05, seed=1, bad_value={"a": "BAD"})
    assert (defects.missing_values, defects.duplicate_rows, defects.bad_values) == (5, 5, 5)
    assert len(dirtied) == 105 and dirtied["id"].notna().all()  # the key column is never blanked
    assert dirtied.iloc[:100].isna().sum().sum() <= 5 and (dirtied.iloc[:100]["a"] == "BAD").sum() <= 5
