"""The references are derived from the specs: every referenced (dataset, key) gets the day's ids."""

from __future__ import annotations

import pandas as pd
import pytest

from recomart_assets import datasets
from recomart_assets.datasets import DatasetSpec, Reference
from recomart_assets.quality.engines.loading import PartitionData
from recomart_assets.quality.engines.references import reference_data_of, reference_datasets, reference_keys

DAY = "2026-01-05"
TOY = DatasetSpec(name="toy_votes", folder="toy_votes", file_pattern="*.csv", format="csv",
                  schema="recomart_assets.quality.rules.schemas:customers_schema", lineage="http_pull",
                  group="toy", description="Toy votes by reviewer.",
                  references=(Reference("by", "toy_reviewers", "reviewer_id"),))


@pytest.fixture
def toy():
    datasets.register(TOY)
    yield
    datasets.unregister(TOY.name)


def _data(dataset: str, frame: pd.DataFrame | None) -> PartitionData:
    return PartitionData(dataset, DAY, frame)


def test_reference_keys_come_from_every_spec(toy):
    keys = reference_keys()
    assert ("toy_reviewers", "reviewer_id") in keys
    assert {("product_catalog", "product_id"), ("customers", "customer_id")} <= set(keys)
    assert reference_datasets() == sorted({dataset for dataset, _ in keys})


def test_ids_and_categories_of_the_loaded_partitions(toy):
    loaded = {
        "product_catalog": _data("product_catalog", pd.DataFrame(
            {"product_id": ["P1", "P2", "P2", None], "category": ["toys", "books", "food", "x"]})),
        "customers": _data("customers", None),  # missing for the day
        "toy_reviewers": _data("toy_reviewers", pd.DataFrame({"reviewer_id": ["U1", None, "U1"]})),
    }
    data = reference_data_of(loaded)
    ids = data.references.ids
    assert sorted(ids) == [("product_catalog", "product_id"), ("toy_reviewers", "reviewer_id")]
    assert list(ids[("toy_reviewers", "reviewer_id")]) == ["U1"]
    assert sorted(ids[("product_catalog", "product_id")]) == ["P1", "P2"]
    assert data.references.ids_for(Reference("user_id", "customers", "customer_id")) is None
    assert data.categories.to_dict() == {"P1": "toys", "P2": "books"}  # the first row of a product


def test_a_referenced_column_the_partition_lacks_gives_no_ids(toy):
    data = reference_data_of({"toy_reviewers": _data("toy_reviewers", pd.DataFrame({"name": ["a"]}))})
    assert data.references.ids == {} and data.categories is None
