"""A third party's JSON: out-of-range numbers kept as text, problems bounded in size."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, ValidationError

from recomart_assets.sources.http.payloads import (
    OutOfRangeNumber,
    load_json,
    number_text,
    shape_problems,
    validation_problems,
)


def test_numbers_no_field_holds_are_kept_as_their_text():
    data = load_json(b'{"a": 1, "b": 2.5, "big": 123456789012345678901234, "n": NaN, "i": 1e999}')
    assert (data["a"], data["b"]) == (1, 2.5)
    assert data["big"] == OutOfRangeNumber("123456789012345678901234")
    assert data["n"] == OutOfRangeNumber("NaN") and data["i"] == OutOfRangeNumber("1e999")
    assert json.dumps(data["big"], default=number_text) == '"123456789012345678901234"'  # as text
    with pytest.raises(TypeError):
        number_text(object())


class Item(BaseModel):
    a: int
    b: int
    c: int
    d: int


def _error(**values) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        Item(**values)
    return info.value


def test_problems_name_fields_and_stay_short():
    text = validation_problems(_error(a="x" * 100_000), with_input=True)
    assert text.startswith("a: ") and "b: Field required" in text and text.endswith("; and 1 more")
    assert len(text) < 600
    assert "got" not in validation_problems(_error(a="x"), with_input=False)
    assert shape_problems(_error()).startswith("unexpected response shape (4 problem(s): a: Field required")
