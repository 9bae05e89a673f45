"""The fields of a JSON Lines file: every top-level key its objects have, and the type of each.

One vocabulary for the type a field arrives with (``string``, ``integer``, ``number``,
``boolean``, ``object``, ``array``, ``null``, or ``mixed`` when several), shared by the seal of a
clickstream day (which records each file's fields beside its md5,
:func:`~recomart_assets.lake.scanning.scan_fields`), the engines, and the metric states. Keys come
from every object; types from the first :data:`TYPE_SAMPLE_ROWS` objects of a file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping

import orjson

# Observed types of a file's fields are read from its first objects (keys from all of them).
TYPE_SAMPLE_ROWS = 10_000

# Keys beyond the schema's fields profiled as columns (the first ones in key order); the others are counted.
MAX_EXTRA_COLUMNS = 20
# Keys listed with their counts in a partition's extra fields (the most common ones).
MAX_LISTED_FIELDS = 50
# A key longer than this is never a column, and is shown cut to this length.
MAX_NAME_CHARS = 200
# Fields a seal records per file (the first ones in key order, none longer than MAX_NAME_CHARS), so its
# partition manifest stays small whatever the events carry; how many were left out is recorded beside.
MAX_RECORDED_FIELDS = 64

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


def json_text(value: object) -> str | None:
    """A parsed JSON value as every engine reads a field: a string as it is, null as missing, anything
    else as its JSON text (what DuckDB's ``json_extract_string`` gives)."""
    return value if value is None or isinstance(value, str) else orjson.dumps(value).decode()


def key_order(records: Iterable[Mapping[str, object]]) -> list[str]:
    """A file's fields in the order every engine lists them: the keys of its most common key set
    first, then those of rarer ones (key sets seen as often: by their keys), as
    :func:`~recomart_assets.lake.scanning.scan_fields` finds them."""
    return shape_order(Counter(tuple(record) for record in records))


def shape_order(shapes: Mapping[tuple[str, ...], int]) -> list[str]:
    """The keys of the key sets (key set -> objects having it) in :func:`key_order`."""
    keys: dict[str, None] = {}
    for shape, _ in sorted(shapes.items(), key=lambda item: (-item[1], list(item[0]))):
        keys.update(dict.fromkeys(shape))
    return list(keys)


def shown(name: str) -> str:
    """A key as reports show it: at most :data:`MAX_NAME_CHARS` characters (a cut one ends in ``…``)."""
    return name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 1] + "…"


def profiled(keys: Iterable[str], known: Collection[str]) -> list[str]:
    """The keys validated as columns, in key order: every schema field (``known``) and the first
    :data:`MAX_EXTRA_COLUMNS` other keys of at most :data:`MAX_NAME_CHARS` characters. A day with
    thousands of distinct keys is then a table of a few dozen columns, whatever its width."""
    columns, extra = [], 0
    for key in keys:
        if key in known:
            columns.append(key)
        elif extra < MAX_EXTRA_COLUMNS and len(key) <= MAX_NAME_CHARS:
            columns.append(key)
            extra += 1
    return columns


def recorded(fields: Mapping[str, str], widest_line: int) -> dict:
    """What a seal records of a file beside its md5: its first :data:`MAX_RECORDED_FIELDS` fields (key
    order, names of at most :data:`MAX_NAME_CHARS` characters) with their types, how many fields were
    left out (a reader needing them all scans the file again) and its longest line in bytes."""
    kept: dict[str, str] = {}
    for name, kind in fields.items():
        if len(kept) == MAX_RECORDED_FIELDS:
            break
        if len(name) <= MAX_NAME_CHARS:
            kept[name] = kind
    return {"fields": kept, "fields_left_out": len(fields) - len(kept), "widest_line": int(widest_line)}


def extra_fields(distinct: int, most_common: Iterable[tuple[str, int]]) -> dict:
    """The keys that were not profiled, as counts: how many there are and the most common ones with
    the number of records carrying each (``most_common``: ``(key, records)`` ordered by
    :func:`count_order`, at least :data:`MAX_LISTED_FIELDS` of them when there are). Empty: none."""
    if not distinct:
        return {}
    listed = [{"field": shown(key), "events": int(n)} for key, n in list(most_common)[:MAX_LISTED_FIELDS]]
    return {"distinct": int(distinct), "fields": listed}


def count_order(item: tuple[str, int]) -> tuple[int, str]:
    """Most records first, then by key (code point order, as DuckDB sorts text)."""
    return -item[1], item[0]


def case_collisions(names: Iterable[str]) -> list[list[str]]:
    """Groups of distinct names equal but for case (Unicode lower case), in order of first appearance:
    one table of a case-insensitive engine (DuckDB, Spark) cannot hold them apart by name."""
    groups: dict[str, list[str]] = {}
    for name in names:
        group = groups.setdefault(name.lower(), [])
        if name not in group:
            group.append(name)
    return [group for group in groups.values() if len(group) > 1]
