"""The fields of a JSON Lines file: every top-level key its objects have, and the type of each.

One vocabulary for the type a field arrives with (``string``, ``integer``, ``number``,
``boolean``, ``object``, ``array``, ``null``, or ``mixed`` when several), shared by the seal of a
clickstream day (which records each file's fields beside its md5,
:func:`~recomart_assets.lake.scanning.scan_fields`), the engines, and the metric states. Keys come
from every object; types from the first :data:`TYPE_SAMPLE_ROWS` objects of a file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

# Observed types of a file's fields are read from its first objects (keys from all of them).
TYPE_SAMPLE_ROWS = 10_000

_TYPE_NAMES = {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string",
               dict: "object", list: "array"}


def json_type(value: object) -> str:
    """The name of a parsed JSON value's type."""
    return _TYPE_NAMES.get(type(value), "mixed")


def merge_types(seen: Mapping[str, set[str]]) -> dict[str, str]:
    """One observed type per field: the type of its non-null values, ``mixed`` when several."""
    merged = {}
    for name, types in seen.items():
        kinds = set(types) - {"null"} or {"null"}
        merged[name] = kinds.pop() if len(kinds) == 1 else "mixed"
    return merged


def key_order(records: Iterable[Mapping[str, object]]) -> list[str]:
    """A file's fields in the order every engine lists them: the keys of its most common key set
    first, then those of rarer ones (key sets seen as often: by their keys), as
    :func:`~recomart_assets.lake.scanning.scan_fields` finds them."""
    shapes = Counter(tuple(record) for record in records)
    keys: dict[str, None] = {}
    for shape, _ in sorted(shapes.items(), key=lambda item: (-item[1], list(item[0]))):
        keys.update(dict.fromkeys(shape))
    return list(keys)
