"""Transactions: the daily asset, the per-file landing run and the landing-zone sensor."""

from dagster import Definitions

from recomart_assets.defs.transactions.assets import transactions
from recomart_assets.defs.transactions.jobs import transactions_landing_job
from recomart_assets.defs.transactions.sensors import transactions_landing_sensor

defs = Definitions(assets=[transactions], jobs=[transactions_landing_job], sensors=[transactions_landing_sensor])
