"""One description per dataset: the :class:`DatasetSpec` registry.

Everything that differs between datasets is written here once: where its files live, how they are
named and read, its pandera schema, the datasets it references, the charts the report draws, where
its quarantine goes and what kind of lineage its manifests carry. Folders, loaders, asset checks,
report sections and asset metadata are derived from these specs, so a new source is its spec, its
schema, its intake code and its ``defs/<area>/`` folder (README, "Adding a source").

Plain data, no Dagster and no pandas: the consumer imports this on its hot start-up path.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import time
from typing import Any, Literal

# The first daily partition (UTC). Events timestamped before it cannot be placed.
PARTITION_START = "2026-01-01"

Format = Literal["csv", "jsonl"]
LineageKind = Literal["kafka_batch", "landing_file", "http_pull", "master_export", "derived"]
ChartKind = Literal["histogram", "counts", "per_hour", "per_category"]


@dataclass(frozen=True)
class Chart:
    """A distribution the report draws for a dataset: ``kind`` of ``column`` under ``title``.

    ``order`` fixes the categories of a ``counts`` chart (e.g. ratings 1–5) so empty ones show.
    ``per_category`` maps ``column`` (a product id) to its category through the day's catalog.
    """

    title: str
    kind: ChartKind
    column: str
    order: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Reference:
    """Values of ``column`` must exist in the ``key`` column of dataset ``dataset``."""

    column: str
    dataset: str
    key: str

    @property
    def check_name(self) -> str:
        """``"in <dataset>"``: the name of the pandera check and of the report's row;
        :func:`~recomart_assets.quality.rules.schemas.reference_of` reads the dataset back from it."""
        return f"in {self.dataset}"


@dataclass(frozen=True)
class Segment:
    """A column whose values split the day's volume in the metric state (``device``, ``category``).

    ``through_catalog``: the value is the product's category in the day's catalog, looked up by
    ``column`` (a product id), for datasets that have no category of their own.
    """

    name: str
    column: str
    through_catalog: bool = False


@dataclass(frozen=True)
class Freshness:
    """By when a day's partition must exist: ``deadline`` (UTC time of day) on that day, or on the
    next day when ``after_day`` (data that is complete only once the day is over, like a sealed
    clickstream day). ``RECOMART_FRESHNESS_DEADLINES`` overrides the time per dataset."""

    deadline: time
    after_day: bool = False


@dataclass(frozen=True)
class DatasetSpec:
    """What the platform knows about one raw dataset (see the module docstring)."""

    name: str
    folder: str  # under the raw zone: <folder>/YYYY-MM-DD/
    file_pattern: str  # the data files of a partition (a glob)
    format: Format
    schema: str  # "module:function" building the pandera schema (imported lazily: pandera is heavy)
    lineage: LineageKind
    group: str  # the Dagster asset group
    description: str
    latest_file: str | None = None  # the flat "latest" copy beside the daily snapshots
    key: str | None = None  # the id column other datasets reference
    references: tuple[Reference, ...] = ()
    charts: tuple[Chart, ...] = ()
    time_column: str | None = None  # event time: the metric state counts rows per hour of it
    segments: tuple[Segment, ...] = ()  # volume (and nulls) per value of these, in the metric state
    master_export: str | None = None  # file name in the master exports folder (master data only)
    landing_folder: str | None = None  # under landing/, for file-based intake
    kinds: frozenset[str] = field(default_factory=frozenset)  # Dagster's kind tags
    freshness: Freshness | None = None  # when the day's partition is due (freshness checks, report)
    # "module:function" (zone, day) -> {file name: (md5, lake.fields.recorded)}: the fields a source recorded
    # for a day's JSON Lines files, so validation need not find them (see lake/fields.py)
    recorded_fields: str | None = None

    @property
    def quarantine_folder(self) -> str:
        """``quarantine/<name>/YYYY-MM-DD/``: records of this dataset that could not be placed."""
        return f"quarantine/{self.name}"

    def schema_builder(self) -> Callable[..., Any]:
        """The function ``(day, references)`` that builds this dataset's pandera schema, imported only on first use
        (pandera is heavy and the consumer never validates)."""
        return _resolve(self.schema)

    def recorded_fields_reader(self) -> Callable[..., Any] | None:
        """The ``(zone, day)`` reader of the fields the source recorded per file at write time, or None when the
        dataset records none (validation then finds the fields itself)."""
        return _resolve(self.recorded_fields) if self.recorded_fields else None


def _resolve(reference: str) -> Callable[..., Any]:
    """The function a ``"module:function"`` reference names (imported when first used)."""
    module, _, function = reference.partition(":")
    return getattr(importlib.import_module(module), function)


_SCHEMAS = "recomart_assets.quality.rules.schemas"

CATALOG = DatasetSpec(
    name="product_catalog",
    folder="catalog",
    file_pattern="*.csv",
    format="csv",
    schema=f"{_SCHEMAS}:product_catalog_schema",
    lineage="master_export",
    group="master_data",
    description="Product catalog snapshot from the master exports.",
    latest_file="recomart_product_catalog.csv",
    key="product_id",
    charts=(Chart("price", "histogram", "price"), Chart("products per category", "counts", "category")),
    segments=(Segment("category", "category"),),
    master_export="product_catalog.csv",
    kinds=frozenset({"csv"}),
    freshness=Freshness(time(23, 55)),  # synced at 23:45 for the day
)

CUSTOMERS = DatasetSpec(
    name="customers",
    folder="customers",
    file_pattern="*.csv",
    format="csv",
    schema=f"{_SCHEMAS}:customers_schema",
    lineage="master_export",
    group="master_data",
    description="Customer master snapshot from the master exports.",
    latest_file="recomart_raw_customers.csv",
    key="customer_id",
    charts=(Chart("segments", "counts", "segment"), Chart("cities", "counts", "city")),
    segments=(Segment("segment", "segment"),),
    master_export="customers.csv",
    kinds=frozenset({"csv"}),
    freshness=Freshness(time(23, 55)),
)

IN_CATALOG = Reference("product_id", CATALOG.name, "product_id")

TRANSACTIONS = DatasetSpec(
    name="transactions",
    folder="transactions",
    file_pattern="ingested_*.csv",
    format="csv",
    schema=f"{_SCHEMAS}:transactions_schema",
    lineage="landing_file",
    group="raw",
    description="Purchases by UTC transaction date: transactions/D/ingested_<sha16>.csv, one file per landing "
    "file that touched day D. New data arrives through the landing sensor; materializing a day (or a "
    "backfill range) re-derives it from the archived originals, byte-identically.",
    references=(Reference("customer_id", CUSTOMERS.name, "customer_id"), IN_CATALOG),
    charts=(
        Chart("price", "histogram", "price"),
        Chart("rating", "counts", "rating", order=(1.0, 2.0, 3.0, 4.0, 5.0)),
        Chart("purchases per hour", "per_hour", "timestamp"),
        Chart("purchases per category", "per_category", "product_id"),
    ),
    time_column="timestamp",
    segments=(Segment("category", "product_id", through_catalog=True),),
    landing_folder="",
    freshness=Freshness(time(12, 0)),  # the shop's morning drops
)

CLICKSTREAM = DatasetSpec(
    name="clickstream",
    folder="clickstream",
    file_pattern="*.jsonl",
    format="jsonl",
    schema=f"{_SCHEMAS}:clickstream_schema",
    lineage="kafka_batch",
    group="clickstream",
    description="Clickstream events of one UTC day, written by `recomart consume`; materializing seals the day.",
    references=(Reference("user_id", CUSTOMERS.name, "customer_id"), IN_CATALOG),
    charts=(
        Chart("event types", "counts", "event_type"),
        Chart("events per hour", "per_hour", "timestamp"),
        Chart("devices", "counts", "device"),
    ),
    time_column="timestamp",
    segments=(Segment("device", "device"), Segment("event_type", "event_type")),
    landing_folder="clickstream",
    kinds=frozenset({"kafka", "json"}),
    freshness=Freshness(time(2, 0), after_day=True),  # sealed once the watermark passed midnight
    recorded_fields="recomart_assets.sources.clickstream.seal:recorded_fields",
)

EXTERNAL_METADATA = DatasetSpec(
    name="external_metadata",
    folder="external_metadata",
    file_pattern="*.csv",
    format="csv",
    schema=f"{_SCHEMAS}:external_metadata_schema",
    lineage="http_pull",
    group="external",
    description="Popularity, review sentiment and trend per product from the external metadata API.",
    latest_file="external_metadata.csv",
    references=(IN_CATALOG,),
    charts=(
        Chart("popularity_score", "histogram", "popularity_score"),
        Chart("sentiment_score", "histogram", "sentiment_score"),
        Chart("trend", "counts", "trend"),
    ),
    segments=(Segment("category", "category"), Segment("trend", "trend")),
    kinds=frozenset({"csv"}),
    freshness=Freshness(time(7, 0)),  # pulled at 06:00 for the day
)

# Registration order is report order: references first.
_REGISTRY: dict[str, DatasetSpec] = {}


def register(spec: DatasetSpec) -> DatasetSpec:
    """Add ``spec`` to the registry (a new source calls this once, at import of its spec)."""
    _REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Drop a dataset from the registry (for tests that register a toy dataset)."""
    _REGISTRY.pop(name, None)


def get(name: str) -> DatasetSpec:
    """The registered spec of ``name``; an unknown name raises KeyError listing the known ones, so a misspelt
    name shows the right one."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}: known are {', '.join(_REGISTRY)}") from None


def names() -> tuple[str, ...]:
    """The registered dataset names in registration order, which is report order (referenced datasets first)."""
    return tuple(_REGISTRY)


def specs() -> Iterator[DatasetSpec]:
    """The registered specs in registration order, iterated over a snapshot (a test may register or drop one
    meanwhile)."""
    return iter(tuple(_REGISTRY.values()))


for _spec in (CATALOG, CUSTOMERS, TRANSACTIONS, CLICKSTREAM, EXTERNAL_METADATA):
    register(_spec)
