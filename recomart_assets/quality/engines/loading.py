"""One dataset's partition as validation sees it: complete, verified files, every value as text.

Only files with a manifest are read (others are still being written), and each is checked against
its manifest before use. CSV goes through pyarrow's reader straight into pyarrow-backed strings
(several times faster than ``pd.read_csv`` and no object columns); JSON Lines through orjson, so
events with unexpected field types still load (a non-string value becomes its JSON text, as the
DuckDB and Spark readers give it). Only an empty cell counts as missing: ``"NA"`` or ``"null"``
written by a source stay values, as received. Ingestion figures (files, bytes, quarantined records)
come from the manifests alone. This is the reference engine's reader (whole partition in memory);
:mod:`recomart_assets.quality.engines.duckdb_engine` reads the same files out of core. Fields of JSON Lines
become columns as in that engine (the schema's fields and the first few others,
:func:`~recomart_assets.lake.fields.profiled`); the other keys are counted.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import orjson
import pandas as pd
import pyarrow as pyarrow_lib
import pyarrow.csv as pcsv

from recomart_assets import datasets
from recomart_assets.lake import RawZone, complete_files, read_verified_bytes
from recomart_assets.lake.fields import (
    MAX_LISTED_FIELDS,
    count_order,
    extra_fields,
    json_text,
    json_type,
    key_order,
    merge_types,
    profiled,
)
from recomart_assets.quality.engines.outcome import InputFile
from recomart_assets.quality.rules.schemas import STRING, schema_for


@dataclass
class PartitionData:
    """A dataset's partition: the text frame (None when the partition is missing) and its files."""

    dataset: str
    partition: str
    frame: pd.DataFrame | None
    files: list[InputFile] = field(default_factory=list)
    bytes: int = 0
    quarantined_records: int = 0
    quarantine_files: int = 0
    observed_schema: dict[str, str] = field(default_factory=dict)  # field -> type as received
    names: list[str] = field(default_factory=list)  # every field of the JSON Lines files
    extra_fields: dict = field(default_factory=dict)  # the fields that are not columns, as counts

    @property
    def missing(self) -> bool:
        """True when the partition has no complete file for the day (no frame): validated as a missing partition, not
        as an empty one."""
        return self.frame is None


def csv_strings(data: bytes) -> pd.DataFrame:
    """A CSV's rows with every column as pyarrow-backed strings; empty cells are missing."""
    header = data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    if not header:
        return pd.DataFrame()
    names = next(csv.reader([header]))
    table = pcsv.read_csv(
        io.BytesIO(data),
        convert_options=pcsv.ConvertOptions(
            column_types={name: pyarrow_lib.string() for name in names},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    return table.to_pandas(types_mapper={pyarrow_lib.string(): pd.StringDtype("pyarrow")}.get)


def json_records(data: bytes) -> list[dict]:
    """A JSON Lines file's objects (blank lines skipped), parsed once for both the types and the frame."""
    return [orjson.loads(line) for line in data.splitlines() if line.strip()]


def jsonl_strings(data: bytes | list[dict]) -> pd.DataFrame:
    """JSON Lines objects as rows, every field as text (unknown fields kept as columns)."""
    records = json_records(data) if isinstance(data, bytes) else data
    # Each field straight from the parsed values: a frame built from the records first would make an integer field
    # that some records lack a float column (``3`` read as ``3.0``, large ids rounded), unlike the other engines.
    return pd.DataFrame({name: pd.Series([json_text(record[name]) if name in record else None for record in records],
                                         dtype=STRING)
                         for name in key_order(records)})


def json_types(records: list[dict], seen: dict[str, set[str]], carried: Counter) -> None:
    """Each field's JSON types into ``seen``; the records carrying each field into ``carried``."""
    for record in records:
        carried.update(record.keys())
        for name, value in record.items():
            seen.setdefault(name, set()).add(json_type(value))


def csv_header(frame: pd.DataFrame, seen: dict[str, set[str]]) -> None:
    """A CSV's columns into ``seen`` as strings: CSV carries no types of its own."""
    for name in frame.columns:
        seen.setdefault(str(name), set()).add("string")


def quarantined(zone: RawZone, dataset: str, day: date | str) -> tuple[int, int]:
    """``(records, files)`` set aside for this dataset and day, from the quarantine manifests."""
    records = files = 0
    for _, manifest in complete_files(zone.quarantine_dir(dataset, day)):
        records += manifest.record_count
        files += 1
    return records, files


def load_partition(zone: RawZone, dataset: str, day: date | str) -> PartitionData:
    """Read every complete file of the partition; a partition without any is missing."""
    day = str(day)
    spec = datasets.get(dataset)
    frames: list[pd.DataFrame] = []
    inputs: list[InputFile] = []
    size = 0
    seen: dict[str, set[str]] = {}
    carried: Counter[str] = Counter()
    for path, manifest in complete_files(zone.partition_dir(dataset, day), spec.file_pattern):
        data = read_verified_bytes(path, manifest)
        if spec.format == "jsonl":
            records = json_records(data)
            json_types(records, seen, carried)
            frames.append(jsonl_strings(records))
        else:
            frames.append(csv_strings(data))
            csv_header(frames[-1], seen)
        inputs.append(InputFile(path.name, manifest.md5))
        size += manifest.bytes
    quarantined_records, quarantine_files = quarantined(zone, dataset, day)
    frame: pd.DataFrame | None = None
    names: list[str] = []
    extra: dict = {}
    if frames:
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        if spec.format == "jsonl":
            names = list(frame.columns)
            columns = profiled(names, schema_for(dataset, day).columns)
            kept = set(columns)
            others = sorted(((k, n) for k, n in carried.items() if k not in kept), key=count_order)
            extra = extra_fields(len(others), others[:MAX_LISTED_FIELDS])
            frame = frame[columns]
        frame = frame.astype({c: STRING for c, t in frame.dtypes.items() if t != STRING})
    if frame is not None:  # fields in the frame's column order
        seen = {name: seen[name] for name in frame.columns if name in seen}
    return PartitionData(dataset, day, frame, inputs, size, quarantined_records, quarantine_files, merge_types(seen), names, extra)
