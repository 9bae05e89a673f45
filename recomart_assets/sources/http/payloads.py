"""Reading a third party's JSON: numbers no field type holds, and problem text of bounded size.

Third-party data is messy: an integer beyond 64 bits, NaN or an infinity must not fail a whole page
(nor pass as a rounded float), and a validation error quoting a 100 kB value must not become a
100 kB reason. Every REST source reads its answers with :func:`load_json` and describes what its
models refused with :func:`validation_problems`.
"""

from __future__ import annotations

import json
import math
import reprlib
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True)
class OutOfRangeNumber:
    """A JSON number no field type can hold (beyond 64 bits, NaN, an infinity), kept as its text.

    Every field type refuses it, so the record is quarantined naming the field, and the quarantine
    keeps the number exactly as the API sent it (as text), which a float conversion would not.
    """

    text: str


MAX_INT_TEXT = 20  # "-9223372036854775808": a longer integer cannot be a 64-bit one


def _json_int(text: str) -> int | OutOfRangeNumber:
    return int(text) if len(text) <= MAX_INT_TEXT else OutOfRangeNumber(text)


def _json_float(text: str) -> float | OutOfRangeNumber:
    value = float(text)
    return value if math.isfinite(value) else OutOfRangeNumber(text)


def load_json(content: bytes) -> Any:
    """Parse an answer; numbers outside every field type become :class:`OutOfRangeNumber`, never an error.

    The standard parser with hooks: a fast parser turns a long integer into a rounded float (so
    10**30 would pass as an integer) and refuses NaN, failing the whole page for one value.
    """
    return json.loads(content, parse_int=_json_int, parse_float=_json_float, parse_constant=OutOfRangeNumber)


def number_text(value: object) -> str:
    """``json.dumps(default=...)``: an :class:`OutOfRangeNumber` is written as the text it arrived as."""
    if isinstance(value, OutOfRangeNumber):
        return value.text
    raise TypeError(type(value).__name__)


shown = reprlib.Repr()  # quotes of input values in reasons: short whatever the value's size
shown.maxstring = shown.maxother = 80
shown.maxlevel, shown.maxdict, shown.maxlist = 2, 4, 4
MAX_PROBLEMS_SHOWN = 3


def validation_problems(exc: ValidationError, *, with_input: bool) -> str:
    """The first few problems, each naming its field; bounded whatever the input's size."""
    listed = []
    for error in exc.errors()[:MAX_PROBLEMS_SHOWN]:
        where = ".".join(map(str, error["loc"])) or "<record>"
        got = f" (got {shown.repr(error['input'])})" if with_input else ""
        listed.append(f"{where}: {error['msg'][:120]}{got}")
    more = exc.error_count() - len(listed)
    return "; ".join(listed) + (f"; and {more} more" if more > 0 else "")


def shape_problems(exc: ValidationError) -> str:
    """Why an answer is not the page model at all (its items aside): the count and the first few problems."""
    return f"unexpected response shape ({exc.error_count()} problem(s): {validation_problems(exc, with_input=False)})"
