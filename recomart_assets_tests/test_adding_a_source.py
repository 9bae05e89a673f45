"""Adding a source is its spec, its schema, its intake and its asset: nothing else to edit.

A toy dataset is registered the way README's "Adding a source" says; the raw-zone layout, the
asset arguments, the asset checks (which load and validate its partition) and the quality results
all pick it up from the spec alone. A toy dataset that references another toy dataset (neither the
catalog nor the customers) gets its referential check from the specs too, on every engine.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest
from dagster import AssetKey, Definitions, asset

from recomart_assets import datasets
from recomart_assets.datasets import Chart, DatasetSpec, Reference
from recomart_assets.defs.quality.checks import dataset_checks
from recomart_assets.defs.shared.runs import run_resources
from recomart_assets.defs.shared.specs import asset_args
from recomart_assets.lake import verify_tree
from recomart_assets.lake.frames import LakeFrame, frame_writer, store_frame
from recomart_assets.lake.lineage import HttpPull
from recomart_assets.quality import build_results
from recomart_assets.quality.engines.references import load_references
from recomart_assets.quality.rules.schemas import STRING, reference_checks
from recomart_assets.quality.validation import validate

DAY = "2026-11-20"

TOY = DatasetSpec(
    name="toy_reviews",
    folder="toy_reviews",
    file_pattern="*.csv",
    format="csv",
    schema=f"{__name__}:toy_schema",
    lineage="http_pull",
    group="toy",
    description="Toy product reviews (a dataset registered by a test).",
    latest_file="toy_reviews.csv",
    charts=(Chart("stars", "counts", "stars"),),
    kinds=frozenset({"csv"}),
)


def toy_schema(day, references) -> pa.DataFrameSchema:
    """The toy dataset's pandera schema: a unique review id and a star rating from a fixed set."""
    return pa.DataFrameSchema(
        {
            "review_id": pa.Column(STRING, nullable=False, unique=True),
            "stars": pa.Column(STRING, nullable=False, checks=pa.Check.isin(["1", "2", "3", "4", "5"])),
        },
        name="toy_reviews",
        strict=True,
    )


@pytest.fixture
def toy_spec():
    datasets.register(TOY)
    yield TOY
    datasets.unregister(TOY.name)


def test_a_registered_spec_reaches_layout_assets_checks_and_report(toy_spec, recomart_resource):
    @asset(**asset_args(toy_spec, io_manager=True))
    def toy_reviews() -> LakeFrame:
        frame = pd.DataFrame({"review_id": ["R1", "R2", "R2"], "stars": ["5", "9", "3"]})
        return LakeFrame(frame, HttpPull(url="http://127.0.0.1/reviews", fetched_at="2026-11-20T00:00:00Z"))

    checks = dataset_checks(toy_spec.name)
    defs = Definitions(assets=[toy_reviews], asset_checks=[checks], resources=run_resources(recomart_resource))
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(partition_key=DAY, raise_on_error=False)

    zone = recomart_resource.zone()
    # layout: the partition folder, the latest copy and both manifests come from the spec
    written = zone.root / "toy_reviews" / DAY / f"toy_reviews_{DAY}.csv"
    assert written.exists() and (zone.root / "toy_reviews.csv").exists()
    assert verify_tree(zone.root).ok
    # checks: the asset's checks loaded the partition and found the bad star and the repeated id
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluations and all(e.asset_key == AssetKey("toy_reviews") for e in evaluations.values())
    assert not all(e.passed for e in evaluations.values())
    # report: the day's results hold a section for the toy dataset, with its chart
    results = build_results(zone, DAY)
    section = results["datasets"]["toy_reviews"]
    assert section["row_count"] == 3
    failing = {c["name"]: c["failure_count"] for c in section["checks"] if c["status"] != "pass"}
    assert any("stars" in name for name in failing) and any("review_id" in name for name in failing)


REVIEWERS = DatasetSpec(
    name="toy_reviewers",
    folder="toy_reviewers",
    file_pattern="*.csv",
    format="csv",
    schema=f"{__name__}:reviewers_schema",
    lineage="http_pull",
    group="toy",
    description="Toy reviewers (a dataset other toy datasets reference).",
    latest_file="toy_reviewers.csv",
    key="reviewer_id",
    kinds=frozenset({"csv"}),
)

RATINGS = DatasetSpec(
    name="toy_ratings",
    folder="toy_ratings",
    file_pattern="*.csv",
    format="csv",
    schema=f"{__name__}:ratings_schema",
    lineage="http_pull",
    group="toy",
    description="Toy ratings, each by a reviewer of the same day's toy_reviewers.",
    latest_file="toy_ratings.csv",
    references=(Reference("by", REVIEWERS.name, "reviewer_id"),),
    kinds=frozenset({"csv"}),
)


def reviewers_schema(day, references) -> pa.DataFrameSchema:
    """The toy reviewers: a unique reviewer id."""
    return pa.DataFrameSchema({"reviewer_id": pa.Column(STRING, nullable=False, unique=True)},
                              name="toy_reviewers", strict=True)


def ratings_schema(day, references) -> pa.DataFrameSchema:
    """The toy ratings: ``by`` must be a reviewer of the day, as the spec's reference says."""
    return pa.DataFrameSchema(
        {
            "rating_id": pa.Column(STRING, nullable=False, unique=True),
            "by": pa.Column(STRING, nullable=False, checks=reference_checks(RATINGS.name, "by", references)),
        },
        name="toy_ratings",
        strict=True,
    )


@pytest.fixture
def toy_reference_specs():
    datasets.register(REVIEWERS)
    datasets.register(RATINGS)
    yield
    datasets.unregister(RATINGS.name)
    datasets.unregister(REVIEWERS.name)


def _store(zone, dataset: str, frame: pd.DataFrame) -> None:
    source = HttpPull(url="http://127.0.0.1/toy", fetched_at="2026-11-20T00:00:00Z").to_source()
    with frame_writer(zone, dataset, DAY):
        store_frame(zone, dataset, DAY, LakeFrame(frame, source))


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_a_reference_to_a_third_dataset_is_checked(toy_reference_specs, recomart_resource, engine):
    zone = recomart_resource.zone()
    _store(zone, REVIEWERS.name, pd.DataFrame({"reviewer_id": ["U1", "U2"]}))
    _store(zone, RATINGS.name, pd.DataFrame({"rating_id": ["A", "B", "C"], "by": ["U1", "U9", "U2"]}))

    outcome = validate(zone, RATINGS.name, DAY, engine=engine, references=load_references(zone, DAY))

    checks = {c.name: c for c in outcome.validation.checks}
    found = checks["by: in toy_reviewers"]
    assert (found.failure_count, found.samples, found.group) == (1, ["U9"], "integrity")
    assert all(c.status == "pass" for name, c in checks.items() if name != "by: in toy_reviewers")


def test_a_reference_whose_dataset_is_missing_warns_that_it_did_not_run(toy_reference_specs, recomart_resource):
    zone = recomart_resource.zone()
    _store(zone, RATINGS.name, pd.DataFrame({"rating_id": ["A"], "by": ["U9"]}))

    outcome = validate(zone, RATINGS.name, DAY, references=load_references(zone, DAY))

    skipped = {c.name: c for c in outcome.validation.checks}["by: in toy_reviewers"]
    assert (skipped.status, skipped.failure_count) == ("warn", 0)
    assert skipped.detail == "not run: toy_reviewers is missing for this partition"
