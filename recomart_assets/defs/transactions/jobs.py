"""The per-file landing run: materialize ``transactions`` for one landing file (see :mod:`.assets`)."""

from dagster import AssetSelection, define_asset_job

from recomart_assets.defs.transactions.assets import TRANSACTIONS

LANDING_JOB = "transactions_landing_job"

# Without the checks: the run has no partition of its own, and the checks run per partition once
# the partitions it materialized are updated (their automation condition).
transactions_landing_job = define_asset_job(
    LANDING_JOB,
    selection=AssetSelection.assets(TRANSACTIONS).without_checks(),
    description="Ingest one landing-zone transaction file, materializing every partition it touched "
    "(launched by transactions_landing_sensor; run config: ops.transactions.config.landing_file).",
)


def landing_run_config(name: str, sha256: str = "") -> dict:
    """The run config of a landing run for file ``name``."""
    return {"ops": {"transactions": {"config": {"landing_file": name, "sha256": sha256}}}}
