"""The Dagster code location: every area's definitions under ``defs/`` merged.

Importing this module has no side effects (no logging set-up, no folders): entry points configure
logging, and the Dagster code server gets its configuration from the instance (``dagster.yaml``).
"""

from dagster import Definitions

from recomart_assets.defs import clickstream, external_metadata, master_data, quality, shared, transactions

defs = Definitions.merge(
    shared.defs,
    master_data.defs,
    clickstream.defs,
    external_metadata.defs,
    transactions.defs,
    quality.defs,
)
