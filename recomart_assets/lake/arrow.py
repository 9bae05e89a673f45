"""Arrow arrays to and from numpy and raw bytes, built from their buffers.

The intake's hot path moves columns between numpy, Arrow and the bytes of a landing file. Going
through ``pa.array`` or ``Array.to_numpy`` would be shorter, but each of them imports pandas the
first time it runs (pyarrow consults its pandas shim), which costs a one-shot
``recomart ingest-transactions`` about as much as splitting a million rows. These helpers build
the same arrays from their buffers instead, with no copy where Arrow's layout allows it.
:func:`take` and :func:`keep` call Arrow's kernels by name (``call_function``, public as
``pyarrow.compute.call_function``) rather than through ``Array.take``/``filter``, which import
``pyarrow.compute``: that module writes a Python wrapper with a docstring for every kernel, tens
of milliseconds of every start-up.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
from pyarrow._compute import call_function


def take(array: pa.Array, positions: np.ndarray) -> pa.Array:
    """The values of ``array`` at ``positions`` (int64), in that order."""
    return call_function("take", [array, int64_array(positions)])


def keep(array: pa.Array, mask: np.ndarray | pa.Array) -> pa.Array:
    """The values of ``array`` where ``mask`` (numpy or Arrow booleans) is true."""
    return call_function("filter", [array, mask if isinstance(mask, pa.Array) else bool_array(mask)])


def int64_array(values: np.ndarray) -> pa.Array:
    """An Arrow int64 array of ``values`` (no nulls)."""
    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def bool_array(mask: np.ndarray) -> pa.Array:
    """An Arrow boolean array of the numpy ``mask`` (no nulls)."""
    bits = np.packbits(np.asarray(mask, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(mask), [None, pa.py_buffer(bits)])


def int64s(array: pa.Array) -> np.ndarray:
    """The values of a 64-bit Arrow array without nulls (int64, timestamps) as a numpy int64 view."""
    if array.null_count or array.type.bit_width != 64:
        raise ValueError(f"int64s() of a {array.type} array with {array.null_count} null(s)")
    return np.frombuffer(array.buffers()[1], dtype=np.int64, count=len(array), offset=array.offset * 8)


def bools(array: pa.Array) -> np.ndarray:
    """The values of an Arrow boolean array as a numpy bool array (nulls read as False)."""
    validity, data = array.buffers()[:2]
    n, offset = len(array), array.offset
    values = np.unpackbits(np.frombuffer(data, np.uint8), bitorder="little")[offset:offset + n].astype(bool)
    if validity is not None and array.null_count:
        values &= np.unpackbits(np.frombuffer(validity, np.uint8), bitorder="little")[offset:offset + n].astype(bool)
    return values


def text_offsets(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The offsets (int64, ``len + 1`` of them) and the data bytes (uint8) of a string or binary array."""
    width = 8 if pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type) else 4
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64 if width == 8 else np.int32,
                            count=len(array) + 1, offset=array.offset * width).astype(np.int64, copy=False)
    data = array.buffers()[2]
    return offsets, (np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8))


def slices(data: bytes | bytearray, starts: np.ndarray, stops: np.ndarray, kind: pa.DataType | None = None) -> pa.Array:
    """The byte ranges ``data[starts[i]:stops[i]]`` as one compact Arrow array (large string by default).

    The ranges must be in order and may not overlap (fields of consecutive records, records of a
    chunk): Arrow then sees ``data`` as ranges and the gaps between them, and keeps the ranges.
    """
    kind = kind or pa.large_string()
    n = len(starts)
    if n == 0:
        return pa.Array.from_buffers(kind, 0, [None, pa.py_buffer(np.zeros(1, np.int64)), pa.py_buffer(b"")])
    bounds = np.empty(2 * n, dtype=np.int64)
    bounds[0::2], bounds[1::2] = starts, stops
    if n > 1 and np.array_equal(bounds[2::2], bounds[1:-1:2]):  # contiguous: no gaps to leave out
        offsets = np.concatenate([bounds[0::2], bounds[-1:]])
        return pa.Array.from_buffers(kind, n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    both = pa.Array.from_buffers(kind, 2 * n - 1, [None, pa.py_buffer(bounds), pa.py_buffer(data)])
    every_other = pa.Array.from_buffers(pa.bool_(), 2 * n - 1, [None, pa.py_buffer(b"\x55" * ((2 * n + 6) // 8))])
    return keep(both, every_other)


def texts(values: Sequence[str]) -> pa.Array:
    """An Arrow large string array of ``values`` (no nulls)."""
    joined = "".join(values)
    if joined.isascii():  # the usual case: one encode, and every length in characters is one in bytes
        data = joined.encode("ascii")
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    else:
        encoded = [value.encode() for value in values]
        data = b"".join(encoded)
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return pa.Array.from_buffers(pa.large_string(), len(values), [None, pa.py_buffer(offsets), pa.py_buffer(data)])
