"""What a file-based source supplies to the landing intake engine: its contract and its splitter.

A source is a :class:`LandingSource`: its dataset, its landing folder, its header contract, how
its partition files are named, and a *splitter* that turns a chunk of the file's CSV records into
records placed per (day[, hour]) (:class:`Placed`) and rejections with a reason
(:class:`Rejection`). Everything else (scan, identity, guards, versions, archive, recovery) is the
engine's, the same for every source, so a hardening reaches them all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pyarrow as pa
from upath import UPath

from recomart_assets.datasets import DatasetSpec
from recomart_assets.lake.placing import Placements, TimeBounds, place_many
from recomart_assets.lake.records import RecordChunk
from recomart_assets.lake.zone import RawZone
from recomart_assets.text import excerpt


@dataclass(frozen=True)
class Header:
    """A file's first record: the text as received (BOM removed) and its column names."""

    text: str
    columns: tuple[str, ...]

    def index(self, column: str) -> int:
        """Position of ``column`` in the header (the splitter reads its fields by position)."""
        return self.columns.index(column)


@dataclass(frozen=True)
class HeaderContract:
    """The columns a source's files must have: ``required`` (each exactly once), ``optional``, and
    whether other columns are kept as received (``keep_extra``) or make the file unusable."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    keep_extra: bool = False

    def problem(self, dataset: str, columns: Sequence[str]) -> str | None:
        """Why a header breaks the contract (None when it does not); any column order is fine."""
        known = set(self.required) | set(self.optional)
        if len(columns) < 2:
            return "not a CSV: no comma-separated header"
        if not set(columns) & known:
            return f"not a CSV of {dataset}: the first line names none of the contract's columns"
        repeated = sorted(c for c, n in Counter(columns).items() if n > 1)
        if repeated:
            return excerpt(f"repeated column(s): {', '.join(repeated)}")
        missing = [c for c in self.required if c not in columns]
        if missing:
            return f"missing required column(s): {', '.join(missing)}"
        extra = [c for c in columns if c not in known]
        if extra and not self.keep_extra:
            return excerpt(f"unknown extra column(s): {', '.join(extra)}")
        return None


@dataclass(frozen=True)
class Placed:
    """The records of one chunk that belong to one partition file, serialised for it."""

    data: bytes  # every record followed by "\n"
    count: int
    first_line: int  # physical line of the landing file where the first and last of them start
    last_line: int


@dataclass(frozen=True)
class Rejection:
    """A record that could not be placed."""

    line: int  # physical line of the landing file where the record starts (header = 1)
    reason: str
    record: str  # as received


PartitionKey = tuple[str, int | None]  # (day, hour) of a partition file; hour None for daily files


@dataclass
class ChunkSplit:
    """What a splitter makes of one chunk: placed records per partition file, and rejections."""

    placed: dict[PartitionKey, Placed] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)
    keys: pa.Array | None = None  # the key column's values of the placed records (None: no key column)


@dataclass(frozen=True)
class EventTimeWindow:
    """The event times a file's records may have, fixed once per file (re-runs place alike)."""

    bounds: TimeBounds
    latest: datetime

    def place(self, stamps: Sequence[object], *, require_offset: bool) -> Placements:
        """The day and hour of each timestamp, or why it has none (:func:`~recomart_assets.lake.placing.place_many`)."""
        return place_many(stamps, self.bounds, require_offset=require_offset, latest=self.latest)


Splitter = Callable[[Header, RecordChunk, EventTimeWindow], ChunkSplit]


@dataclass(frozen=True)
class LandingSource:
    """One file-based source: its dataset, folder, contract, file names and splitter."""

    dataset: DatasetSpec
    contract: HeaderContract
    splitter: Splitter
    partition_file: Callable[[str, int | None], str]  # (sha256, hour) -> file name in the day folder
    rejects_file: Callable[[str], str]  # sha256 -> file name in the quarantine day folder
    key_column: str | None = None  # the record id a new version of a file is compared by

    @property
    def name(self) -> str:
        """The dataset's name (manifests, logs, lock and state folder names)."""
        return self.dataset.name

    def landing_dir(self, zone: RawZone) -> UPath:
        """The folder this source's files are dropped into."""
        folder = self.dataset.landing_folder
        return zone.landing / folder if folder else zone.landing

    def state_dir(self, zone: RawZone, kind: str) -> UPath:
        """``_state/<dataset>/<kind>``: the engine's bookkeeping for this source."""
        return zone.state_dir / self.name / kind


def whole_lines(chunk: RecordChunk, members: Sequence[int] | np.ndarray) -> Placed:
    """The records ``members`` of ``chunk`` as received, one per line (CSV partition files)."""
    return grouped_lines(chunk, np.asarray(members, dtype=np.int64), np.array([0, len(members)]))[0]


def grouped_lines(chunk: RecordChunk, members: np.ndarray, bounds: np.ndarray) -> list[Placed]:
    """:func:`whole_lines` of several groups at once: group ``k`` is ``members[bounds[k]:bounds[k + 1]]``.

    The records of all groups are copied out of the chunk in one pass, then cut per group.
    """
    data = chunk.joined(members)
    sizes = np.zeros(len(members) + 1, dtype=np.int64)
    np.cumsum(chunk.ends[members] - chunk.starts[members] + 1, out=sizes[1:])
    lines = chunk.lines[members]
    return [Placed(data[sizes[start]:sizes[stop]], stop - start, int(lines[start]), int(lines[stop - 1]))
            for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist())]
