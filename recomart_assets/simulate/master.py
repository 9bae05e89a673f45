"""Synthetic master data: the product catalog and the customer base of the simulated shop.

Deterministic for a seed, so the transaction, clickstream and metadata generators can refer to
the same product and customer ids (``P000001``..., ``C000001``...) without reading files. The
exports are what the "master database" hands us: ``product_catalog.csv`` and ``customers.csv``
in the master exports folder. ``dirty_rate`` injects what real exports contain: missing values,
duplicate rows, bad e-mails, non-positive prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from upath import UPath

from recomart_assets.config import Settings
from recomart_assets.lake.atomic import write_bytes_atomic
from recomart_assets.simulate.incidents import Incident, apply_to_catalog
from recomart_assets.simulate.shop import CATEGORIES, NOUNS
from recomart_assets.sources.master_exports import export_path

DEFAULT_SEED = 42
DEFAULT_PRODUCTS = 2_000
DEFAULT_CUSTOMERS = 20_000

_ADJECTIVES = ["Classic", "Pro", "Lite", "Max", "Eco", "Smart", "Mini", "Ultra", "Essential", "Premium"]
_FIRST = ["Aarav", "Maya", "Liam", "Sofia", "Noah", "Priya", "Emma", "Lucas", "Zara", "Omar", "Chen", "Ana",
          "Ravi", "Lea", "Jonas", "Ines", "Kenji", "Amara", "Diego", "Freya"]
_LAST = ["Sharma", "Garcia", "Smith", "Müller", "Rossi", "Kim", "Okafor", "Silva", "Novak", "Haddad",
         "Tanaka", "Dubois", "Iyer", "Jensen", "Costa", "Nguyen"]
CITIES = ["Mumbai", "Bengaluru", "Delhi", "Pune", "Hyderabad", "Chennai", "Kolkata", "Jaipur", "Ahmedabad", "Kochi"]
SEGMENTS = ["new", "regular", "loyal", "vip", "dormant"]


def product_id(n: int) -> str:
    """The id of the ``n``-th product, ``P`` + 6 digits (``P000042``): the format the catalog schema checks."""
    return f"P{n:06d}"


def customer_id(n: int) -> str:
    """The id of the ``n``-th customer, ``C`` + 6 digits (``C000042``): the format the customers schema checks."""
    return f"C{n:06d}"


def generate_catalog(seed: int = DEFAULT_SEED, n_products: int = DEFAULT_PRODUCTS) -> pd.DataFrame:
    """Clean catalog: ``product_id, name, category, brand, price``."""
    rng = np.random.default_rng(seed)
    names = list(CATEGORIES)
    categories = rng.choice(names, size=n_products)
    rows = []
    for i, category in enumerate(categories, start=1):
        brands, median = CATEGORIES[category]
        brand = brands[rng.integers(len(brands))]
        noun = NOUNS[category][rng.integers(len(NOUNS[category]))]
        adjective = _ADJECTIVES[rng.integers(len(_ADJECTIVES))]
        price = round(float(median * rng.lognormal(0.0, 0.45)), 2)
        rows.append((product_id(i), f"{brand} {adjective} {noun}", category, brand, max(price, 0.99)))
    return pd.DataFrame(rows, columns=["product_id", "name", "category", "brand", "price"])


def generate_customers(
    seed: int = DEFAULT_SEED, n_customers: int = DEFAULT_CUSTOMERS, as_of: date | None = None
) -> pd.DataFrame:
    """Clean customers: ``customer_id, name, email, signup_date, city, segment``."""
    rng = np.random.default_rng(seed + 1)
    as_of = as_of or date(2026, 1, 1)
    first = rng.choice(_FIRST, size=n_customers)
    last = rng.choice(_LAST, size=n_customers)
    days_ago = rng.integers(0, 3 * 365, size=n_customers)
    ids = [customer_id(i) for i in range(1, n_customers + 1)]
    return pd.DataFrame(
        {
            "customer_id": ids,
            "name": [f"{f} {l}" for f, l in zip(first, last, strict=True)],
            "email": [f"{f.lower()}.{l.lower()}.{i[1:]}@example.com" for f, l, i in zip(first, last, ids, strict=True)],
            "signup_date": [(as_of - timedelta(days=int(d))).isoformat() for d in days_ago],
            "city": rng.choice(CITIES, size=n_customers),
            "segment": rng.choice(SEGMENTS, size=n_customers, p=[0.2, 0.4, 0.25, 0.05, 0.1]),
        }
    )


@dataclass(frozen=True)
class Defects:
    """How many of each defect :func:`dirty` injected (for tests and the demo summary)."""

    missing_values: int
    duplicate_rows: int
    bad_values: int


def dirty(frame: pd.DataFrame, rate: float, seed: int, bad_value: dict[str, object]) -> tuple[pd.DataFrame, Defects]:
    """Blank some cells, repeat some rows, and set some cells to a bad value (``{column: value}``)."""
    if rate <= 0 or frame.empty:
        return frame, Defects(0, 0, 0)
    rng = np.random.default_rng(seed + 7)
    frame = frame.astype(object).copy()
    n = len(frame)
    k = max(1, int(n * rate))
    nullable = [c for c in frame.columns[1:]]
    for row in rng.choice(n, size=k, replace=False):
        frame.iat[int(row), frame.columns.get_loc(nullable[rng.integers(len(nullable))])] = None
    bad_rows = rng.choice(n, size=k, replace=False)
    for row in bad_rows:
        column, value = list(bad_value.items())[rng.integers(len(bad_value))]
        frame.iat[int(row), frame.columns.get_loc(column)] = value
    duplicates = frame.iloc[rng.choice(n, size=k, replace=False)]
    return pd.concat([frame, duplicates], ignore_index=True), Defects(k, k, k)


def write_master_exports(
    settings: Settings,
    seed: int = DEFAULT_SEED,
    n_products: int = DEFAULT_PRODUCTS,
    n_customers: int = DEFAULT_CUSTOMERS,
    dirty_rate: float = 0.0,
    incident: Incident | None = None,
) -> dict[str, UPath]:
    """Write both exports (atomically) into the master exports folder; returns their paths."""
    catalog = apply_to_catalog(incident, generate_catalog(seed, n_products))
    catalog, _ = dirty(catalog, dirty_rate, seed, {"price": -1.0})
    customers, _ = dirty(generate_customers(seed, n_customers), dirty_rate, seed + 1, {"email": "not-an-email"})
    paths = {dataset: export_path(settings, dataset) for dataset in ("product_catalog", "customers")}
    write_bytes_atomic(paths["product_catalog"], catalog.to_csv(index=False).encode())
    write_bytes_atomic(paths["customers"], customers.to_csv(index=False).encode())
    return paths
