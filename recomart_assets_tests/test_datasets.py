"""The spec registry: lookups, registration order, references and lazily resolved functions."""

from __future__ import annotations

import pytest

from recomart_assets import datasets
from recomart_assets.datasets import DatasetSpec, Reference


def _toy(name: str = "toy_things", **fields) -> DatasetSpec:
    defaults = {"folder": name, "file_pattern": "*.csv", "format": "csv", "lineage": "derived", "group": "toy",
                "schema": "recomart_assets.quality.rules.schemas:customers_schema", "description": "A toy dataset."}
    return DatasetSpec(name=name, **{**defaults, **fields})


def test_the_registry_holds_the_five_datasets_references_first():
    names = datasets.names()
    assert set(names) >= {"product_catalog", "customers", "transactions", "clickstream", "external_metadata"}
    for spec in datasets.specs():
        for ref in spec.references:  # a referenced dataset is registered before its referrers
            assert names.index(ref.dataset) < names.index(spec.name)
            assert ref.key == datasets.get(ref.dataset).key


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(KeyError, match="unknown dataset 'nope': known are product_catalog"):
        datasets.get("nope")


def test_register_and_unregister():
    spec = datasets.register(_toy())
    try:
        assert datasets.get("toy_things") is spec and datasets.names()[-1] == "toy_things"
    finally:
        datasets.unregister("toy_things")
    assert "toy_things" not in datasets.names()
    datasets.unregister("toy_things")  # idempotent


def test_derived_names():
    assert Reference("user_id", "customers", "customer_id").check_name == "in customers"
    assert _toy().quarantine_folder == "quarantine/toy_things"


def test_functions_are_resolved_lazily_from_module_references():
    from recomart_assets.quality.rules.schemas import customers_schema

    assert _toy().schema_builder() is customers_schema
    assert _toy().recorded_fields_reader() is None
    assert datasets.CLICKSTREAM.recorded_fields_reader() is not None
    with pytest.raises(AttributeError):
        _toy(schema="recomart_assets.datasets:no_such_function").schema_builder()
