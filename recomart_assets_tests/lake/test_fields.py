"""Fields of a JSON Lines file: keys from every object, types from the first ones."""

from __future__ import annotations

from recomart_assets.lake import fields
from recomart_assets.lake.fields import FieldTally, json_type, merge_types


def test_keys_come_in_order_of_first_appearance_and_types_merge():
    tally = FieldTally()
    for record in ({"a": "x", "b": None}, {"b": 2, "c": [1]}, {"a": 1.5, "b": None}):
        tally.add(record)
    assert tally.fields() == {"a": "mixed", "b": "integer", "c": "array"}


def test_a_key_first_seen_after_the_sample_is_still_a_field(monkeypatch):
    monkeypatch.setattr(fields, "TYPE_SAMPLE_ROWS", 2)
    tally = FieldTally()
    for record in ({"a": "x"}, {"a": "y"}, {"a": "z", "late": True}, {"a": 1}):
        tally.add(record)
    assert tally.fields() == {"a": "string", "late": "null"}  # types only from the sampled objects


def test_type_names():
    assert [json_type(v) for v in (None, True, 3, 2.5, "s", {}, [])] == [
        "null", "boolean", "integer", "number", "string", "object", "array"]
    assert merge_types({"x": {"null"}, "y": {"null", "string"}, "z": {"string", "integer"}}) == {
        "x": "null", "y": "string", "z": "mixed"}
