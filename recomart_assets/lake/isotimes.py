"""The common ISO 8601 timestamps, read from their bytes with numpy: a column at a time, no regex.

Sources write their times in a few fixed shapes: ``2026-03-01T12:34:56Z`` and
``2026-03-01T12:34:56+05:30``, often with milliseconds or microseconds
(``2026-03-01T12:34:56.789+05:30``, what JavaScript and Java clients send), and, for transactions,
the naive ``2026-03-01T12:34:56`` (taken as UTC). :func:`common_shapes` reads exactly those shapes
(``T`` or a space between date and time, years 1000-2999, real calendar dates, hours 00-23,
no fraction or one of 3 or 6 digits, offsets up to ±23:59) the way ``datetime.fromisoformat`` reads
them, with one pass of numpy arithmetic over the characters per shape. Any other value (a fraction of
other length, minutes without seconds, a typo) is left for the exact path of
:func:`~recomart_assets.lake.placing.place_many`, so this module decides nothing that path would
decide differently; a test compares the two on generated values.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from recomart_assets.lake import arrow

_SECONDS_END = 19  # "YYYY-MM-DDTHH:MM:SS"
_FRACTIONS = (0, 3, 6)  # digits after the seconds' "."
_ZONED_SUFFIXES = (1, 6)  # "Z", "+HH:MM"
_DATE_TIME_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
_MICROS = 1_000_000


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's ``days_from_civil``)."""
    year = year - (month <= 2)
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _read(data: np.ndarray, starts: np.ndarray, fraction: int, suffix: int) -> tuple[np.ndarray, np.ndarray]:
    """UTC microseconds and a validity mask of the values of one shape starting at ``starts``: ``fraction``
    digits after the seconds (0: no ``.``), then ``suffix`` characters (0: naive, 1: ``Z``, 6: ``+HH:MM``)."""
    zone = _SECONDS_END + (fraction + 1 if fraction else 0)  # where the suffix starts
    length = zone + suffix
    # the rows of a window view are copied whole (no index per byte), then one row per character position
    chars = np.ascontiguousarray(np.lib.stride_tricks.sliding_window_view(data, length)[starts].T)
    digits = chars - np.uint8(48)  # wraps around below "0", so "is a digit" is one comparison
    fraction_digits = list(range(_SECONDS_END + 1, zone))
    offset_digits = [zone + 1, zone + 2, zone + 4, zone + 5] if suffix == 6 else []
    ok = (digits[_DATE_TIME_DIGITS + fraction_digits + offset_digits] <= 9).all(axis=0)
    ok &= (chars[4] == ord("-")) & (chars[7] == ord("-")) & (chars[13] == ord(":")) & (chars[16] == ord(":"))
    ok &= (chars[10] == ord("T")) | (chars[10] == ord(" "))
    if fraction:
        ok &= chars[_SECONDS_END] == ord(".")

    def number(at: int) -> np.ndarray:
        return digits[at].astype(np.int32) * 10 + digits[at + 1]

    year, month, day = number(0) * 100 + number(2), number(5), number(8)
    hour, minute, second = number(11), number(14), number(17)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last_day = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + ((month == 2) & leap)
    ok &= (year >= 1000) & (year <= 2999) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= last_day)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    seconds = _days_from_civil(year, month, day).astype(np.int64) * 86_400 + (hour * 3_600 + minute * 60 + second)
    if suffix == 1:
        ok &= chars[zone] == ord("Z")
    elif suffix == 6:
        sign = chars[zone]
        ok &= ((sign == ord("+")) | (sign == ord("-"))) & (chars[zone + 3] == ord(":"))
        offset_hours, offset_minutes = number(zone + 1), number(zone + 4)
        ok &= (offset_hours <= 23) & (offset_minutes <= 59)
        seconds -= np.where(sign == ord("-"), -1, 1) * (offset_hours * 3_600 + offset_minutes * 60)
    micros = seconds * _MICROS
    if fraction:
        part = np.zeros(len(starts), dtype=np.int64)
        for at in fraction_digits:
            part = part * 10 + digits[at]
        micros += part * 10 ** (6 - fraction)
    return micros, ok


def common_shapes(values: pa.Array, *, naive: bool) -> tuple[np.ndarray, np.ndarray]:
    """UTC microseconds since the epoch of the values (a string array) that have one of the common
    shapes, and a mask of those values; ``naive`` admits the shape without an offset (taken as UTC)."""
    n = len(values)
    micros = np.zeros(n, dtype=np.int64)
    read = np.zeros(n, dtype=bool)
    offsets, data = arrow.text_offsets(values)
    lengths = np.diff(offsets)
    present = arrow.bools(values.is_valid()) if values.null_count else np.ones(n, dtype=bool)
    for fraction in _FRACTIONS:
        for suffix in (*_ZONED_SUFFIXES, *((0,) if naive else ())):
            length = _SECONDS_END + (fraction + 1 if fraction else 0) + suffix
            rows = np.flatnonzero((lengths == length) & present)
            if not len(rows):
                continue
            stamps, ok = _read(data, offsets[rows], fraction, suffix)
            micros[rows[ok]] = stamps[ok]
            read[rows[ok]] = True
    return micros, read
