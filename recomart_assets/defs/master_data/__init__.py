"""Master data: the daily catalog and customers snapshots."""

from dagster import Definitions

from recomart_assets.defs.master_data.assets import customers, product_catalog

defs = Definitions(assets=[product_catalog, customers])
