"""The fields of a JSON Lines file: every top-level key its objects have, and the type of each.

One vocabulary for the type a field arrives with (``string``, ``integer``, ``number``,
``boolean``, ``object``, ``array``, ``null``, or ``mixed`` when several), shared by whoever
records fields (sealing a clickstream day reads every event anyway, so it records each file's
fields beside its md5) and by validation, which otherwise has to find them with an extra pass
over the files. Keys are counted over every object; types over the first :data:`TYPE_SAMPLE_ROWS`
objects of a file (what the DuckDB engine samples when it has to find them itself).
"""

from __future__ import annotations

from collections.abc import Mapping

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


class FieldTally:
    """The fields of one file's objects, fed one parsed object at a time."""

    __slots__ = ("_rows", "_seen", "_shapes")

    def __init__(self) -> None:
        self._rows = 0
        self._seen: dict[str, set[str]] = {}  # field -> types seen (insertion order: first appearance)
        self._shapes: set[tuple[str, ...]] = set()  # key tuples already folded in (most objects share one)

    def add(self, record: Mapping[str, object]) -> None:
        self._rows += 1
        if self._rows <= TYPE_SAMPLE_ROWS:
            for name, value in record.items():
                self._seen.setdefault(name, set()).add(json_type(value))
            return
        shape = tuple(record)
        if shape not in self._shapes:
            self._shapes.add(shape)
            for name in shape:
                self._seen.setdefault(name, set())

    def fields(self) -> dict[str, str]:
        """Field -> observed type, in order of first appearance (a field first seen after the sampled
        objects is ``null`` unless other files say more)."""
        return merge_types({name: types or {"null"} for name, types in self._seen.items()})
