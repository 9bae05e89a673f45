"""Master data assets: daily snapshots of the product catalog and the customer base.

Each partition ``D`` holds the master export as it was when ``D`` was synced (``catalog/D/``,
``customers/D/``) and refreshes the flat latest file. The raw-zone IO manager writes the files and
manifests; the read is shared with ``recomart ingest-master``.
"""

import pandas as pd
from dagster import AssetExecutionContext, AssetsDefinition, MetadataValue, Output, asset
from dagster_pandas import create_dagster_pandas_dataframe_type

from recomart_assets.datasets import CATALOG, CUSTOMERS, DatasetSpec
from recomart_assets.defs.shared.automation import MASTER_DATA_CRON, pull_on_cron
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.defs.shared.specs import asset_args
from recomart_assets.logs import ingestion_run
from recomart_assets.sources.master_exports import read_master_export


def _export_summary(frame: pd.DataFrame) -> dict[str, object]:
    """What the UI shows for the output's type check: size and empty cells, before validation."""
    return {
        "rows": len(frame),
        "columns": ", ".join(map(str, frame.columns)),
        "empty_cells": int((frame == "").to_numpy().sum()),
    }


# dagster-pandas type of a master export as received (every value a string). Validation itself is
# pandera's job (the asset checks); this type only summarises the frame on its way out.
MasterExportFrame = create_dagster_pandas_dataframe_type(
    name="MasterExportFrame",
    description="A master export as received: one row per record, every value a string.",
    metadata_fn=_export_summary,
)


def master_data_asset(spec: DatasetSpec) -> AssetsDefinition:
    """The asset of one master dataset: its export read as strings, stored by the IO manager with the export's lineage."""
    dataset = spec.name

    @asset(**asset_args(spec, io_manager=True, automation_condition=pull_on_cron(MASTER_DATA_CRON)),
           dagster_type=MasterExportFrame)
    def _master_asset(context: AssetExecutionContext, recomart: RecomartResource) -> Output:
        with ingestion_run("master", context.log, dataset=dataset, partition=context.partition_key) as run:
            lake_frame = read_master_export(recomart.settings(), dataset)
            run.counts["records"] = len(lake_frame.frame)
        return Output(lake_frame.frame, metadata={"source": MetadataValue.json(lake_frame.source.to_source())})

    return _master_asset


product_catalog = master_data_asset(CATALOG)
customers = master_data_asset(CUSTOMERS)
