"""The daily partitions every raw dataset and the quality report share (UTC days)."""

from dagster import DailyPartitionsDefinition

from recomart_assets.datasets import PARTITION_START

# end_offset=1 makes today a partition too: clickstream and master syncs write into today.
daily_partitions = DailyPartitionsDefinition(start_date=PARTITION_START, end_offset=1, timezone="UTC")
